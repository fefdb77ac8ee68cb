// A minimal Probot app for the acknowledgement benchmark (bench/ack_compare.py): Probot's own webhook
// middleware on the same path as prompt-to-pr, checking the same X-Hub-Signature-256 with the same secret,
// and acknowledging every event with a handler that does nothing. No persistence: Probot answers once its
// (empty) handlers have run, while prompt-to-pr answers once the delivery is committed to its inbox.
import { createServer } from "node:http";
import { createNodeMiddleware, createProbot } from "probot";

const port = Number(process.env.PORT || 3100);
const probot = createProbot({
  overrides: {
    appId: process.env.APP_ID || "1",
    privateKey: process.env.PRIVATE_KEY,
    secret: process.env.WEBHOOK_SECRET,
    logLevel: "fatal",
  },
});

const app = (probotApp) => {
  probotApp.onAny(async () => {}); // acknowledge: the delivery is verified, parsed and dispatched
};

const middleware = await createNodeMiddleware(app, { probot, webhooksPath: "/api/github/webhooks" });
const server = createServer((req, res) => {
  middleware(req, res, () => {
    res.writeHead(404).end();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`probot baseline listening on 127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

"""The part of GitHub's GraphQL schema the simulator serves, in SDL. Every type, field, argument and enum value
here is spelled as in GitHub's public schema (docs.github.com/graphql/reference); fields the App never asks for
are left out, so a query naming one fails validation here as a misspelt one does on GitHub."""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

SDL = """
scalar DateTime
scalar GitObjectID
scalar GitTimestamp
scalar URI

type Query {
  organization(login: String!): Organization
  rateLimit(dryRun: Boolean = false): RateLimit
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type Repository {
  name: String!
  nameWithOwner: String!
  object(expression: String, oid: GitObjectID): GitObject
  pullRequest(number: Int!): PullRequest
}

interface GitObject {
  abbreviatedOid: String!
  oid: GitObjectID!
}

type Blob implements GitObject {
  abbreviatedOid: String!
  byteSize: Int!
  isBinary: Boolean
  isTruncated: Boolean!
  oid: GitObjectID!
  text: String
}

type Tree implements GitObject {
  abbreviatedOid: String!
  oid: GitObjectID!
}

type Commit implements GitObject {
  abbreviatedOid: String!
  author: GitActor
  authoredDate: DateTime!
  committedDate: DateTime!
  committer: GitActor
  message: String!
  oid: GitObjectID!
  parents(after: String, before: String, first: Int, last: Int): CommitConnection!
}

type CommitConnection {
  nodes: [Commit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type GitActor {
  date: GitTimestamp
  email: String
  name: String
  user: User
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

interface Actor {
  login: String!
  url: URI!
}

type User implements Actor {
  databaseId: Int
  login: String!
  url: URI!
}

type Bot implements Actor {
  databaseId: Int
  login: String!
  url: URI!
}

type Mannequin implements Actor {
  login: String!
  url: URI!
}

type Organization implements Actor {
  login: String!
  team(slug: String!): Team
  url: URI!
}

enum TeamMembershipType {
  ALL
  CHILD_TEAM
  IMMEDIATE
}

enum TeamMemberRole {
  MAINTAINER
  MEMBER
}

type Team {
  members(
    after: String
    before: String
    first: Int
    last: Int
    membership: TeamMembershipType = ALL
    query: String
    role: TeamMemberRole
  ): TeamMemberConnection!
  slug: String!
}

type TeamMemberConnection {
  nodes: [User]
  pageInfo: PageInfo!
  totalCount: Int!
}

union Assignee = Bot | Mannequin | Organization | User

type Label {
  name: String!
}

type PullRequest {
  baseRefName: String!
  baseRefOid: GitObjectID!
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
  headRefName: String!
  headRefOid: GitObjectID!
  number: Int!
  reviews(
    after: String
    author: String
    before: String
    first: Int
    last: Int
    states: [PullRequestReviewState!]
  ): PullRequestReviewConnection
  timelineItems(
    after: String
    before: String
    first: Int
    itemTypes: [PullRequestTimelineItemsItemType!]
    last: Int
    since: DateTime
    skip: Int
  ): PullRequestTimelineItemsConnection!
}

type PullRequestCommit {
  commit: Commit!
}

type PullRequestCommitConnection {
  nodes: [PullRequestCommit]
  pageInfo: PageInfo!
  totalCount: Int!
}

enum PullRequestReviewState {
  APPROVED
  CHANGES_REQUESTED
  COMMENTED
  DISMISSED
  PENDING
}

enum CommentAuthorAssociation {
  COLLABORATOR
  CONTRIBUTOR
  FIRST_TIMER
  FIRST_TIME_CONTRIBUTOR
  MANNEQUIN
  MEMBER
  NONE
  OWNER
}

type PullRequestReview {
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  body: String!
  commit: Commit
  databaseId: Int
  state: PullRequestReviewState!
  submittedAt: DateTime
}

type PullRequestReviewConnection {
  nodes: [PullRequestReview]
  pageInfo: PageInfo!
  totalCount: Int!
}

enum PullRequestTimelineItemsItemType {
  ASSIGNED_EVENT
  LABELED_EVENT
  UNASSIGNED_EVENT
  UNLABELED_EVENT
}

type LabeledEvent {
  actor: Actor
  createdAt: DateTime!
  label: Label!
}

type UnlabeledEvent {
  actor: Actor
  createdAt: DateTime!
  label: Label!
}

type AssignedEvent {
  actor: Actor
  assignee: Assignee
  createdAt: DateTime!
}

type UnassignedEvent {
  actor: Actor
  assignee: Assignee
  createdAt: DateTime!
}

union PullRequestTimelineItems = AssignedEvent | LabeledEvent | UnassignedEvent | UnlabeledEvent

type PullRequestTimelineItemsConnection {
  filteredCount: Int!
  nodes: [PullRequestTimelineItems]
  pageInfo: PageInfo!
  totalCount: Int!
}
"""


@cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)

"""The App's database: the only package that imports SQLModel/SQLAlchemy or writes SQL."""

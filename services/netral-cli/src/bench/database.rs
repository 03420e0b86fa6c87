//! The databases a bench runs on: each phase that writes gets a fresh one of the chosen kind
//! and removes it afterwards, so runs never see each other's rows and leave nothing behind.
//!
//! SQLite lives in a temporary directory; PostgreSQL gets `CREATE DATABASE netral_bench_<uuid>`
//! through an admin URL, dropped `WITH (FORCE)` when the phase is over.

use std::fmt;
use std::str::FromStr;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

/// The admin URL of `--database postgres`: the local server, user `postgres`, trust auth.
pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which kind of database to bench on (`--database`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseChoice {
    /// The embedded default: a SQLite file (WAL) in a temporary directory.
    Sqlite,
    /// PostgreSQL: fresh databases are created and dropped through this admin URL.
    Postgres {
        /// A URL of a database the user may `CREATE DATABASE` from, e.g.
        /// `postgres://postgres@127.0.0.1:5432/postgres`.
        admin_url: String,
    },
}

impl DatabaseChoice {
    /// `sqlite` or `postgres`, for the report.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

impl fmt::Display for DatabaseChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

impl FromStr for DatabaseChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres {
                admin_url: DEFAULT_POSTGRES_ADMIN_URL.to_owned(),
            }),
            url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres {
                    admin_url: url.to_owned(),
                })
            }
            _ => Err(format!(
                "expected `sqlite`, `postgres` or a postgres://… admin URL (fresh databases are \
                 created through it and dropped after), not `{s}`"
            )),
        }
    }
}

/// A database made for one phase; [`FreshDatabase::remove`] deletes it.
#[derive(Debug)]
pub struct FreshDatabase {
    /// The URL the server or the store connects to.
    url: String,
    /// What to remove afterwards.
    owned: Owned,
}

/// What a [`FreshDatabase`] removes.
#[derive(Debug)]
enum Owned {
    /// The temporary directory holding the SQLite file (removed on drop).
    Sqlite(TempDir),
    /// A PostgreSQL database, dropped through the admin URL.
    Postgres {
        /// Where to connect to drop it.
        admin_url: String,
        /// Its name.
        name: String,
    },
}

impl FreshDatabase {
    /// Creates an empty database of `choice`'s kind; `purpose` (e.g. `server`, `floor`) is
    /// part of its name so that a leftover one says where it came from.
    pub async fn create(choice: &DatabaseChoice, purpose: &str) -> anyhow::Result<Self> {
        match choice {
            DatabaseChoice::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix(&format!("netral-bench-{purpose}-"))
                    .tempdir()
                    .context("cannot create a temporary directory for SQLite")?;
                let path = dir.path().join(netral_store::SQLITE_FILE_NAME);
                let path = path
                    .to_str()
                    .context("the temporary directory is not UTF-8")?;
                Ok(Self {
                    url: format!("sqlite://{path}?mode=rwc"),
                    owned: Owned::Sqlite(dir),
                })
            }
            DatabaseChoice::Postgres { admin_url } => {
                let name = format!("netral_bench_{purpose}_{}", uuid::Uuid::new_v4().simple());
                admin(admin_url, &format!("CREATE DATABASE \"{name}\"")).await?;
                Ok(Self {
                    url: with_database(admin_url, &name)?,
                    owned: Owned::Postgres {
                        admin_url: admin_url.clone(),
                        name,
                    },
                })
            }
        }
    }

    /// The URL to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Deletes the database (the SQLite directory, or `DROP DATABASE … WITH (FORCE)`).
    pub async fn remove(self) -> anyhow::Result<()> {
        match self.owned {
            Owned::Sqlite(dir) => dir.close().context("cannot remove the SQLite directory"),
            Owned::Postgres { admin_url, name } => {
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                admin(&admin_url, &drop).await
            }
        }
    }
}

/// Runs one statement through a short-lived admin connection.
async fn admin(admin_url: &str, statement: &str) -> anyhow::Result<()> {
    let db = Database::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(admin_url)))?;
    let result = db.execute_unprepared(statement).await;
    let _ = db.close().await;
    result.with_context(|| format!("PostgreSQL refused `{statement}`"))?;
    Ok(())
}

/// `admin_url` naming database `name` instead of its own (query parameters kept).
fn with_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let (scheme, rest) = base
        .split_once("://")
        .context("the PostgreSQL URL has no scheme")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut url = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

/// `url` without the password of its user-info, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse() {
        assert_eq!("sqlite".parse(), Ok(DatabaseChoice::Sqlite));
        assert_eq!(
            "postgres".parse::<DatabaseChoice>().unwrap(),
            DatabaseChoice::Postgres {
                admin_url: DEFAULT_POSTGRES_ADMIN_URL.into()
            }
        );
        let url = "postgres://u:p@db:5433/admin?sslmode=disable";
        assert_eq!(
            url.parse::<DatabaseChoice>().unwrap(),
            DatabaseChoice::Postgres {
                admin_url: url.into()
            }
        );
        assert!("sqlite://x.db".parse::<DatabaseChoice>().is_err());
        assert!("mysql".parse::<DatabaseChoice>().is_err());
    }

    #[test]
    fn the_fresh_database_replaces_the_admin_database() {
        let url = with_database("postgres://u:p@db:5433/admin?sslmode=disable", "n").unwrap();
        assert_eq!(url, "postgres://u:p@db:5433/n?sslmode=disable");
        let url = with_database("postgres://postgres@127.0.0.1:5432", "n").unwrap();
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/n");
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}

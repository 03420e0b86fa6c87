//! The connection profile of the `case`, `directory` and `demo` commands: where the server is
//! and which certificate to present, from flags, the environment (`NETRAL_ENDPOINT`,
//! `NETRAL_CA`, `NETRAL_CERT`, `NETRAL_KEY`, `NETRAL_AGENCY`, `NETRAL_PKI`) or a TOML file
//! (`--profile FILE`, else `$XDG_CONFIG_HOME/netral/config.toml` when it exists; keys
//! `endpoint`, `ca`, `cert`, `key`, `agency`, `pki`, `server_name`). Each setting is taken
//! from the first of flags, environment, file that has it; what none has falls back to the
//! dev defaults of [`ConnectArgs`]. The result is a [`ConnectArgs`], so the channel is built
//! the way every other online command builds it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use netral_domain::AgencyId;
use serde::Deserialize;

use crate::connect::{ConnectArgs, DEFAULT_ENDPOINT, PkiDir};

/// The dev PKI directory used when nothing names one.
const DEFAULT_PKI: &str = "./netral-data/pki";

/// The connection flags; every one optional, so the environment and the file can fill in.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArgs {
    /// A TOML profile (keys endpoint, ca, cert, key, agency, pki, server_name) instead of
    /// `$XDG_CONFIG_HOME/netral/config.toml`.
    #[arg(long, value_name = "FILE", global = true)]
    pub profile: Option<PathBuf>,
    /// The server's https:// endpoint [env NETRAL_ENDPOINT; default https://127.0.0.1:50051].
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint: Option<String>,
    /// The dev PKI directory, for `--agency` [env NETRAL_PKI; default ./netral-data/pki].
    #[arg(long, value_name = "DIR", global = true)]
    pub pki: Option<PathBuf>,
    /// The agency to act as: its dev certificate `<pki>/agencies/<ID>.pem|.key`
    /// [env NETRAL_AGENCY].
    #[arg(long, value_name = "ID", global = true)]
    pub agency: Option<AgencyId>,
    /// The CA certificate (PEM) the server must chain to [env NETRAL_CA; default <pki>/ca.pem].
    #[arg(long, value_name = "FILE", global = true)]
    pub ca: Option<PathBuf>,
    /// The client certificate (PEM) to present [env NETRAL_CERT].
    #[arg(long, value_name = "FILE", global = true)]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM) [env NETRAL_KEY].
    #[arg(long = "cert-key", value_name = "FILE", global = true)]
    pub key: Option<PathBuf>,
    /// The name the server's certificate must carry [default localhost].
    #[arg(long, value_name = "NAME", global = true)]
    pub server_name: Option<String>,
}

/// The profile file's settings, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// The server's endpoint.
    pub endpoint: Option<String>,
    /// The CA certificate file.
    pub ca: Option<PathBuf>,
    /// The client certificate file.
    pub cert: Option<PathBuf>,
    /// The client key file.
    pub key: Option<PathBuf>,
    /// The agency to act as (dev PKI shorthand).
    pub agency: Option<String>,
    /// The dev PKI directory.
    pub pki: Option<PathBuf>,
    /// The name the server's certificate carries.
    pub server_name: Option<String>,
}

impl ProfileFile {
    /// Reads and parses a profile file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the profile {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid profile", path.display()))
    }
}

impl ProfileArgs {
    /// The connection these flags describe, completed from the process environment and the
    /// profile file (`--profile`, else the XDG config file when present).
    pub fn resolve(&self) -> anyhow::Result<ConnectArgs> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let file = match &self.profile {
            Some(path) => ProfileFile::read(path)?,
            None => match default_profile_path(&env) {
                Some(path) if path.exists() => ProfileFile::read(&path)?,
                _ => ProfileFile::default(),
            },
        };
        self.resolve_with(&env, &file)
    }

    /// [`Self::resolve`] with the environment and the file given: flags over environment
    /// over file, then the dev defaults.
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        file: &ProfileFile,
    ) -> anyhow::Result<ConnectArgs> {
        let path = |flag: &Option<PathBuf>, var: &str, file: &Option<PathBuf>| {
            flag.clone()
                .or_else(|| env(var).map(PathBuf::from))
                .or_else(|| file.clone())
        };
        let agency = match self.agency.clone() {
            Some(agency) => Some(agency),
            None => env("NETRAL_AGENCY")
                .or_else(|| file.agency.clone())
                .map(|id| id.parse::<AgencyId>())
                .transpose()
                .context("the profile's agency is not an agency id")?,
        };
        let cert = path(&self.cert, "NETRAL_CERT", &file.cert);
        let key = path(&self.key, "NETRAL_KEY", &file.key);
        anyhow::ensure!(
            cert.is_some() == key.is_some(),
            "a client certificate needs its key and a key its certificate (--cert and --cert-key, \
             NETRAL_CERT and NETRAL_KEY, or cert and key in the profile)"
        );
        Ok(ConnectArgs {
            endpoint: self
                .endpoint
                .clone()
                .or_else(|| env("NETRAL_ENDPOINT"))
                .or_else(|| file.endpoint.clone())
                .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
            pki: PkiDir {
                pki: path(&self.pki, "NETRAL_PKI", &file.pki)
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_PKI)),
            },
            agency,
            ca: path(&self.ca, "NETRAL_CA", &file.ca),
            cert,
            cert_key: key,
            server_name: self
                .server_name
                .clone()
                .or_else(|| file.server_name.clone())
                .unwrap_or_else(|| netral_server::tls::DEV_SERVER_NAME.to_owned()),
        })
    }

    /// [`Self::resolve`], refusing a connection that names no one to act as: the dev
    /// shorthand (`--agency`, `NETRAL_AGENCY`, `agency`) or a certificate.
    pub fn resolve_acting(&self) -> anyhow::Result<ConnectArgs> {
        let connect = self.resolve()?;
        anyhow::ensure!(
            connect.agency.is_some() || connect.cert.is_some(),
            "name the agency to act as: --agency ID (its dev certificate), NETRAL_AGENCY, or a \
             certificate (--cert and --cert-key, NETRAL_CERT and NETRAL_KEY)"
        );
        Ok(connect)
    }

    /// The resolved connection acting as `agency` (the demo switches agencies this way).
    pub fn as_agency(&self, agency: &str) -> anyhow::Result<ConnectArgs> {
        let mut connect = self.resolve()?;
        connect.agency = Some(agency.parse()?);
        connect.ca = None;
        connect.cert = None;
        connect.cert_key = None;
        Ok(connect)
    }

    /// A channel over mTLS to the resolved endpoint, as the resolved agency.
    pub async fn channel(&self) -> anyhow::Result<crate::trace::Traced> {
        self.resolve_acting()?.channel().await
    }
}

/// `$XDG_CONFIG_HOME/netral/config.toml`, or `$HOME/.config/netral/config.toml`.
fn default_profile_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let config = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(config.join("netral").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn file() -> ProfileFile {
        toml::from_str(
            r#"
            endpoint = "https://file:1"
            pki = "/file/pki"
            agency = "bawaslu-kotabaru"
            ca = "/file/ca.pem"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_the_file() {
        let env = env_of(&[
            ("NETRAL_ENDPOINT", "https://env:2"),
            ("NETRAL_AGENCY", "bkn"),
        ]);
        let flags = ProfileArgs {
            endpoint: Some("https://flag:3".into()),
            ..Default::default()
        };
        let connect = flags.resolve_with(&env, &file()).unwrap();
        assert_eq!(connect.endpoint, "https://flag:3", "flag over env");
        assert_eq!(connect.acting().unwrap().as_str(), "bkn", "env over file");
        assert_eq!(connect.pki.pki, Path::new("/file/pki"), "file over default");
        assert_eq!(connect.ca.as_deref(), Some(Path::new("/file/ca.pem")));

        let connect = ProfileArgs::default().resolve_with(&env, &file()).unwrap();
        assert_eq!(connect.endpoint, "https://env:2", "env over file");

        let connect = ProfileArgs::default()
            .resolve_with(&env_of(&[]), &file())
            .unwrap();
        assert_eq!(connect.endpoint, "https://file:1");
        assert_eq!(connect.acting().unwrap().as_str(), "bawaslu-kotabaru");
    }

    #[test]
    fn nothing_given_means_the_dev_defaults() {
        let connect = ProfileArgs::default()
            .resolve_with(&env_of(&[]), &ProfileFile::default())
            .unwrap();
        assert_eq!(connect.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(connect.pki.pki, Path::new(DEFAULT_PKI));
        assert_eq!(connect.server_name, "localhost");
        assert!(connect.agency.is_none() && connect.cert.is_none());
    }

    #[test]
    fn a_certificate_without_its_key_is_refused_and_so_is_a_bad_agency() {
        let env = env_of(&[("NETRAL_CERT", "/env/me.pem")]);
        let err = ProfileArgs::default()
            .resolve_with(&env, &ProfileFile::default())
            .unwrap_err();
        assert!(err.to_string().contains("needs its key"), "{err}");
        let env = env_of(&[
            ("NETRAL_CERT", "/env/me.pem"),
            ("NETRAL_KEY", "/env/me.key"),
        ]);
        let connect = ProfileArgs::default()
            .resolve_with(&env, &ProfileFile::default())
            .unwrap();
        assert_eq!(connect.cert_key.as_deref(), Some(Path::new("/env/me.key")));
        let env = env_of(&[("NETRAL_AGENCY", "Not An Id")]);
        assert!(
            ProfileArgs::default()
                .resolve_with(&env, &ProfileFile::default())
                .is_err()
        );
    }

    #[test]
    fn the_default_profile_lives_in_the_xdg_config_home() {
        let env = env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            default_profile_path(&env).unwrap(),
            Path::new("/x/netral/config.toml")
        );
        let env = env_of(&[("HOME", "/h")]);
        assert_eq!(
            default_profile_path(&env).unwrap(),
            Path::new("/h/.config/netral/config.toml")
        );
        let unknown = toml::from_str::<ProfileFile>("password = \"x\"");
        assert!(unknown.is_err(), "unknown keys are refused");
    }
}

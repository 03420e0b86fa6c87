//! A TCP proxy a test can cut and restore: the server reaches its database through it, so an
//! outage is simulated without restarting the database every other test shares. Cutting
//! drops every open connection and refuses new ones (accepted, then closed at once);
//! restoring lets connections through again. Loopback only; the proxy stops when dropped.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A proxy from a free loopback port to `target`.
pub struct CutProxy {
    /// Where clients connect instead of the target.
    pub addr: SocketAddr,
    /// `true` while the line is cut.
    cut: watch::Sender<bool>,
    /// The accept loop; aborted on drop (its connections end with it).
    accept: JoinHandle<()>,
}

impl CutProxy {
    /// Starts a proxy to `target` on `127.0.0.1:0`.
    pub async fn to(target: SocketAddr) -> Self {
        assert!(
            target.ip().is_loopback(),
            "the proxy only forwards to loopback"
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (cut, _) = watch::channel(false);
        let line = cut.clone();
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut down = line.subscribe();
                if *down.borrow() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let mut inbound = inbound;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { addr, cut, accept }
    }

    /// Drops every open connection and refuses new ones until [`CutProxy::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut.send_replace(true);
        self.accept.abort();
    }
}

/// `url` (`postgres://user@host:port/db?…`) with its host and port replaced by `addr`.
pub fn through(url: &str, addr: SocketAddr) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    format!(
        "{}{}{addr}{}",
        &url[..scheme_end],
        &authority[..host_start],
        &rest[authority_end..]
    )
}

/// The loopback `host:port` of a `postgres://` URL.
pub fn target_of(url: &str) -> SocketAddr {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = &authority[authority.rfind('@').map_or(0, |i| i + 1)..];
    let host = host.replace("localhost", "127.0.0.1");
    let with_port = if host.contains(':') {
        host
    } else {
        format!("{host}:5432")
    };
    with_port
        .parse()
        .expect("a loopback host:port in the database URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_pointed_through_the_proxy() {
        let proxy: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert_eq!(
            through(
                "postgres://postgres@127.0.0.1:5432/db1?sslmode=disable",
                proxy
            ),
            "postgres://postgres@127.0.0.1:4000/db1?sslmode=disable"
        );
        assert_eq!(
            target_of("postgres://u:p@localhost/db"),
            "127.0.0.1:5432".parse().unwrap()
        );
    }
}

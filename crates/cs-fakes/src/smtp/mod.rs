//! An in-process SMTP server for tests: it speaks real SMTP (RFC 5321) over TCP on
//! loopback, with STARTTLS or implicit TLS (a self-signed certificate for `localhost` made
//! with rcgen) and AUTH PLAIN / LOGIN, and stores the messages it accepts.
//!
//! It can be stopped and started again on the same port to play a relay that is down, and
//! it answers `535` to a wrong password. It is a sink: nothing is relayed anywhere.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// How the sink behaves.
#[derive(Debug, Clone)]
pub struct SmtpSinkConfig {
    pub username: String,
    pub password: String,
    /// Refuse MAIL FROM before a successful AUTH.
    pub require_auth: bool,
    /// Refuse AUTH on a connection that is not encrypted.
    pub require_tls_for_auth: bool,
    /// TLS from the first byte (port 465 style) instead of STARTTLS.
    pub implicit_tls: bool,
}

impl Default for SmtpSinkConfig {
    fn default() -> Self {
        Self {
            username: "relay-user".into(),
            password: "relay-password".into(),
            require_auth: true,
            require_tls_for_auth: true,
            implicit_tls: false,
        }
    }
}

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The id in our `250 2.0.0 Ok: queued as <id>` answer.
    pub queue_id: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA exactly as received, dot-unstuffed, with CRLF line ends.
    pub data: Vec<u8>,
    pub authenticated_as: Option<String>,
    pub tls: bool,
}

struct Shared {
    config: SmtpSinkConfig,
    acceptor: TlsAcceptor,
    messages: Mutex<Vec<ReceivedMessage>>,
    auth_failures: Mutex<u32>,
    counter: Mutex<u64>,
}

impl Shared {
    fn messages(&self) -> MutexGuard<'_, Vec<ReceivedMessage>> {
        self.messages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running (or stopped) SMTP sink on `127.0.0.1`.
pub struct SmtpSink {
    addr: SocketAddr,
    cert_pem: String,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SmtpSink {
    pub async fn start(config: SmtpSinkConfig) -> std::io::Result<Self> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`SmtpSink::start`], on a chosen address (port 0: any free port).
    pub async fn start_on(config: SmtpSinkConfig, addr: SocketAddr) -> std::io::Result<Self> {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .map_err(|e| std::io::Error::other(format!("cannot make the sink certificate: {e}")))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            config,
            acceptor: TlsAcceptor::from(Arc::new(tls)),
            messages: Mutex::new(Vec::new()),
            auth_failures: Mutex::new(0),
            counter: Mutex::new(0),
        });
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut sink = Self {
            addr,
            cert_pem: certified.cert.pem(),
            shared,
            server: None,
            connections: Arc::default(),
        };
        sink.serve(listener);
        Ok(sink)
    }

    fn serve(&mut self, listener: TcpListener) {
        let shared = Arc::clone(&self.shared);
        let connections = Arc::clone(&self.connections);
        self.server = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = Arc::clone(&shared);
                let handle = tokio::spawn(async move {
                    if let Err(e) = session(stream, shared).await {
                        tracing::debug!("smtp sink session ended: {e}");
                    }
                });
                let mut conns = connections.lock().unwrap_or_else(|e| e.into_inner());
                conns.retain(|h| !h.is_finished());
                conns.push(handle);
            }
        }));
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The sink's self-signed certificate (for `localhost`), PEM: trust it in the client.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn config(&self) -> &SmtpSinkConfig {
        &self.shared.config
    }

    /// Messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared.messages().clone()
    }

    /// How many AUTH attempts were refused with 535.
    pub fn auth_failures(&self) -> u32 {
        *self
            .shared
            .auth_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Closes the listening socket and every open connection: the relay is down.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        let conns: Vec<_> = self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for c in conns {
            c.abort();
            let _ = c.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        if self.server.is_some() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
        for c in self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            c.abort();
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    if shared.config.implicit_tls {
        let tls = shared.acceptor.accept(stream).await?;
        let mut s = Session::new(Arc::clone(&shared), true);
        s.run(BufReader::new(tls), true).await?;
        return Ok(());
    }
    let mut s = Session::new(Arc::clone(&shared), false);
    let reader = BufReader::new(stream);
    if let Some(reader) = s.run(reader, true).await? {
        // STARTTLS: nothing may be buffered beyond the command (RFC 3207 §4).
        let stream = reader.into_inner();
        let tls = shared.acceptor.accept(stream).await?;
        let mut s = Session::new(shared, true);
        s.run(BufReader::new(tls), false).await?;
    }
    Ok(())
}

struct Session {
    shared: Arc<Shared>,
    tls: bool,
    greeted: bool,
    user: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

impl Session {
    fn new(shared: Arc<Shared>, tls: bool) -> Self {
        Self {
            shared,
            tls,
            greeted: false,
            user: None,
            mail_from: None,
            rcpt_to: Vec::new(),
        }
    }

    /// Serves commands; returns the reader when the client asked for STARTTLS.
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        mut io: BufReader<S>,
        send_banner: bool,
    ) -> std::io::Result<Option<BufReader<S>>> {
        if send_banner {
            reply(&mut io, "220 localhost ESMTP cs-fakes SMTP sink").await?;
        }
        loop {
            let Some(line) = read_line(&mut io).await? else {
                return Ok(None);
            };
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_owned()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            match verb.as_str() {
                "EHLO" => {
                    self.greeted = true;
                    self.reset();
                    let mut lines = vec![
                        "localhost greets you".to_owned(),
                        "8BITMIME".into(),
                        "SIZE 26214400".into(),
                    ];
                    if !self.tls {
                        lines.push("STARTTLS".into());
                    }
                    if self.tls || !self.shared.config.require_tls_for_auth {
                        lines.push("AUTH PLAIN LOGIN".into());
                    }
                    lines.push("ENHANCEDSTATUSCODES".into());
                    let last = lines.len() - 1;
                    let text: String = lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                        .collect();
                    io.get_mut().write_all(text.as_bytes()).await?;
                    io.get_mut().flush().await?;
                }
                "HELO" => {
                    self.greeted = true;
                    reply(&mut io, "250 localhost").await?;
                }
                "STARTTLS" if !self.tls => {
                    reply(&mut io, "220 2.0.0 Ready to start TLS").await?;
                    return Ok(Some(io));
                }
                "AUTH" => self.auth(&mut io, &arg).await?,
                "MAIL" => {
                    if !self.greeted {
                        reply(&mut io, "503 5.5.1 Send EHLO first").await?;
                    } else if self.shared.config.require_auth && self.user.is_none() {
                        reply(&mut io, "530 5.7.0 Authentication required").await?;
                    } else {
                        self.mail_from = Some(path_of(&arg, "FROM:"));
                        self.rcpt_to.clear();
                        reply(&mut io, "250 2.1.0 Ok").await?;
                    }
                }
                "RCPT" => {
                    if self.mail_from.is_none() {
                        reply(&mut io, "503 5.5.1 Need MAIL command").await?;
                    } else {
                        self.rcpt_to.push(path_of(&arg, "TO:"));
                        reply(&mut io, "250 2.1.5 Ok").await?;
                    }
                }
                "DATA" => {
                    if self.rcpt_to.is_empty() {
                        reply(&mut io, "503 5.5.1 Need RCPT command").await?;
                        continue;
                    }
                    reply(&mut io, "354 End data with <CR><LF>.<CR><LF>").await?;
                    let Some(data) = read_data(&mut io).await? else {
                        return Ok(None);
                    };
                    let queue_id = {
                        let mut c = self
                            .shared
                            .counter
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        *c += 1;
                        format!("SINK{:08X}", *c)
                    };
                    self.shared.messages().push(ReceivedMessage {
                        queue_id: queue_id.clone(),
                        mail_from: self.mail_from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut self.rcpt_to),
                        data,
                        authenticated_as: self.user.clone(),
                        tls: self.tls,
                    });
                    reply(&mut io, &format!("250 2.0.0 Ok: queued as {queue_id}")).await?;
                }
                "RSET" => {
                    self.reset();
                    reply(&mut io, "250 2.0.0 Ok").await?;
                }
                "NOOP" => reply(&mut io, "250 2.0.0 Ok").await?,
                "QUIT" => {
                    reply(&mut io, "221 2.0.0 Bye").await?;
                    return Ok(None);
                }
                _ => reply(&mut io, "502 5.5.2 Command not recognized").await?,
            }
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
        arg: &str,
    ) -> std::io::Result<()> {
        if !self.tls && self.shared.config.require_tls_for_auth {
            return reply(
                io,
                "538 5.7.11 Encryption required for requested authentication mechanism",
            )
            .await;
        }
        if self.user.is_some() {
            return reply(io, "503 5.5.1 Already authenticated").await;
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_owned())),
            None => (arg.to_ascii_uppercase(), None),
        };
        let credentials = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => {
                        reply(io, "334 ").await?;
                        read_line(io).await?.unwrap_or_default()
                    }
                };
                b64.decode(response.trim()).ok().and_then(|raw| {
                    let mut parts = raw.split(|b| *b == 0).skip(1);
                    let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    let pass = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    Some((user, pass))
                })
            }
            "LOGIN" => {
                let user = match initial {
                    Some(u) => u,
                    None => {
                        reply(io, "334 VXNlcm5hbWU6").await?;
                        read_line(io).await?.unwrap_or_default()
                    }
                };
                reply(io, "334 UGFzc3dvcmQ6").await?;
                let pass = read_line(io).await?.unwrap_or_default();
                let decode = |s: &str| {
                    b64.decode(s.trim())
                        .ok()
                        .and_then(|v| String::from_utf8(v).ok())
                };
                decode(&user).zip(decode(&pass))
            }
            _ => return reply(io, "504 5.5.4 Unrecognized authentication type").await,
        };
        match credentials {
            Some((user, pass))
                if user == self.shared.config.username && pass == self.shared.config.password =>
            {
                self.user = Some(user);
                reply(io, "235 2.7.0 Authentication successful").await
            }
            Some(_) => {
                *self
                    .shared
                    .auth_failures
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) += 1;
                reply(io, "535 5.7.8 Authentication credentials invalid").await
            }
            None => reply(io, "501 5.5.2 Cannot decode response").await,
        }
    }
}

fn path_of(arg: &str, prefix: &str) -> String {
    let rest = arg
        .get(prefix.len()..)
        .filter(|_| arg.len() >= prefix.len() && arg[..prefix.len()].eq_ignore_ascii_case(prefix));
    let rest = rest.unwrap_or(arg).trim();
    let path = rest.split_whitespace().next().unwrap_or("");
    path.trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    line: &str,
) -> std::io::Result<()> {
    io.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await?;
    io.get_mut().flush().await
}

async fn read_line<S: AsyncRead + Unpin>(io: &mut BufReader<S>) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if io.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    Ok(Some(
        String::from_utf8_lossy(&buf)
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    ))
}

/// Reads DATA up to the lone dot, undoing dot-stuffing.
async fn read_data<S: AsyncRead + Unpin>(
    io: &mut BufReader<S>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        if io.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        let line = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(line);
    }
}

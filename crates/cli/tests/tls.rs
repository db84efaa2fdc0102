//! `medoffice serve --tls-cert --tls-key`: the server speaks HTTPS itself and sends HSTS; bad
//! certificate arguments exit 2 naming the flag. The certificate is made with the openssl
//! command (Debian's openssl package); the client trusts exactly that certificate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn self_signed(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command (Debian package openssl) makes the test certificate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

async fn https_get(port: u16, cert: &Path, path: &str) -> String {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(cert).unwrap()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config)).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await.ok();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn serve_terminates_tls_and_sends_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Guard(
        Command::new(env!("CARGO_BIN_EXE_medoffice"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .env("MEDOFFICE_ADMIN_PASSWORD", "a-long-test-password-1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = https_get(port, &cert, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let lower = health.to_lowercase();
    assert!(lower.contains("strict-transport-security: max-age=31536000; includesubdomains"), "{health}");
    // The sign-in page's cookie is Secure with the __Host- prefix over TLS.
    let login = https_get(port, &cert, "/login").await.to_lowercase();
    assert!(login.starts_with("http/1.1 200"), "{login}");
    let cookie = login.lines().find(|l| l.starts_with("set-cookie:")).unwrap_or_default().to_string();
    assert!(cookie.contains("__host-medoffice_login=") && cookie.contains("secure"), "{login}");
    // Plain HTTP on the TLS port gets no page.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

#[test]
fn a_missing_key_or_a_file_that_is_not_a_certificate_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _key) = self_signed(dir.path());
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let run = |cert: &Path, key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_medoffice"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .unwrap()
    };
    let out = run(&cert, &dir.path().join("missing-key.pem"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    let out = run(&junk, &junk);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-cert"), "{}", String::from_utf8_lossy(&out.stderr));
    // One without the other is refused by the argument parser (exit 2).
    let out = Command::new(env!("CARGO_BIN_EXE_medoffice")).args(["serve", "--tls-cert"]).arg(&cert).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

use std::time::Duration;

use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};
use cs_mail::{
    compose, Branding, Email, Mailer, Password, Security, SmtpConfig, TemplateKind, Templates, Var,
    Vars,
};

pub async fn sink() -> SmtpSink {
    SmtpSink::start(SmtpSinkConfig::default())
        .await
        .expect("SMTP sink starts")
}

pub fn config_for(sink: &SmtpSink, security: Security, password: &str) -> SmtpConfig {
    let mut c = SmtpConfig::new("localhost", sink.port(), security)
        .with_login(sink.config().username.clone(), Password::new(password));
    c.extra_root_pem = Some(sink.cert_pem().to_owned());
    c.timeout = Duration::from_secs(5);
    c
}

pub fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&config_for(
        sink,
        Security::StartTls,
        &sink.config().password.clone(),
    ))
    .unwrap()
}

pub fn brand() -> Branding {
    Branding {
        name: "Acme Cloud".into(),
        logo_url: Some("https://acme.example/logo.png".into()),
        primary_color: "#0a7cff".into(),
        support_email: "billing@acme.example".into(),
        website: None,
    }
}

pub fn vars(pairs: &[(&str, &str)]) -> Vars {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Var::from(*v)))
        .collect()
}

pub fn welcome(to: &str) -> Email {
    let rendered = Templates::default()
        .render(
            TemplateKind::Welcome,
            &brand(),
            &vars(&[
                ("customer_name", "Ada"),
                ("portal_url", "https://portal.acme.example"),
            ]),
        )
        .unwrap();
    compose(
        "Acme Cloud <noreply@acme.example>",
        vec![to.to_owned()],
        None,
        rendered,
    )
}

use crate::{fixtures, tools};

#[test]
fn samples_render() {
    let dir = tools::out_dir("samples");
    for (name, doc) in [
        ("unicode", fixtures::unicode_invoice()),
        ("long", fixtures::long_invoice(120)),
        ("reverse", fixtures::reverse_charge_invoice()),
        ("credit", fixtures::credit_note()),
        ("receipt", fixtures::receipt()),
    ] {
        let bytes = cs_invoice::render_pdf(&doc).expect("render");
        tools::write(&dir, &format!("{name}.pdf"), &bytes);
    }
}

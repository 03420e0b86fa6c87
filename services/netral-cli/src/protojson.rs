//! The contract's messages as JSON, by the proto3 JSON mapping (the one `buf curl` and
//! grpcurl speak), from the descriptors compiled into `netral-proto`: what `--output json`
//! prints (with the proto field names, `registration_number`, and enum names,
//! `CASE_STATE_FORWARDED`) and what `--file` reads (either field spelling; unknown fields are
//! refused). Nothing is hand-mapped, so a field added to the contract shows up here at once.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};

/// The contract's descriptors, decoded once.
fn pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(netral_proto::FILE_DESCRIPTOR_SET).map_err(|err| err.to_string())
    })
    .as_ref()
    .map_err(|err| anyhow::anyhow!("the compiled contract's descriptors are unreadable: {err}"))
}

/// The dynamic form of `message`, whose full proto name is `name` (`netral.v1.Case`).
fn dynamic<M: prost::Message>(name: &str, message: &M) -> anyhow::Result<DynamicMessage> {
    let descriptor = pool()?
        .get_message_by_name(name)
        .with_context(|| format!("the contract has no message {name}"))?;
    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .with_context(|| format!("cannot re-read a {name}"))
}

/// `message` (of proto type `name`) as a JSON value, with proto field names.
pub fn to_value<M: prost::Message>(name: &str, message: &M) -> anyhow::Result<serde_json::Value> {
    let options = SerializeOptions::new().use_proto_field_name(true);
    dynamic(name, message)?
        .serialize_with_options(serde_json::value::Serializer, &options)
        .with_context(|| format!("cannot write a {name} as JSON"))
}

/// Writes `message` (of proto type `name`) as pretty JSON and a newline.
pub fn write<M: prost::Message>(
    name: &str,
    message: &M,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(name, message)?)?;
    writeln!(out)?;
    Ok(())
}

/// Parses `json` as the proto type `name` and decodes it into `M`.
pub fn from_str<M: prost::Message + Default>(name: &str, json: &str) -> anyhow::Result<M> {
    let descriptor = pool()?
        .get_message_by_name(name)
        .with_context(|| format!("the contract has no message {name}"))?;
    let mut reader = serde_json::Deserializer::from_str(json);
    let message = DynamicMessage::deserialize(descriptor, &mut reader)
        .with_context(|| format!("not the JSON of a {name}"))?;
    reader
        .end()
        .with_context(|| format!("trailing text after the {name}"))?;
    M::decode(message.encode_to_vec().as_slice()).with_context(|| format!("not a valid {name}"))
}

/// The text of `path`, or of standard input when it is `-`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads the JSON of a proto type `name` from `path`, or standard input when it is `-`.
pub fn read_file<M: prost::Message + Default>(name: &str, path: &Path) -> anyhow::Result<M> {
    from_str(name, &read_text(path)?).with_context(|| format!("in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use netral_proto::v1 as pb;

    use super::*;

    #[test]
    fn a_case_round_trips_with_proto_field_names_and_enum_names() {
        let case = pb::Case {
            name: "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd".into(),
            registration_number: "001/Reg/TM/PL/Kab/22.05/2024".into(),
            state: pb::CaseState::Forwarded as i32,
            violation_form: 6,
            occurred_date: Some(netral_proto::google::r#type::Date {
                year: 2024,
                month: 1,
                day: 28,
            }),
            ..Default::default()
        };
        let value = to_value("netral.v1.Case", &case).unwrap();
        assert_eq!(value["registration_number"], "001/Reg/TM/PL/Kab/22.05/2024");
        assert_eq!(value["state"], "CASE_STATE_FORWARDED");
        assert_eq!(value["occurred_date"]["month"], 1);
        let back: pb::Case = from_str("netral.v1.Case", &value.to_string()).unwrap();
        assert_eq!(back, case);
        // Either spelling reads; an unknown field does not.
        let camel: pb::Case = from_str(
            "netral.v1.Case",
            r#"{"registrationNumber": "x", "violationForm": 2}"#,
        )
        .unwrap();
        assert_eq!(
            (camel.registration_number.as_str(), camel.violation_form),
            ("x", 2)
        );
        assert!(from_str::<pb::Case>("netral.v1.Case", r#"{"nip": "1"}"#).is_err());
    }
}

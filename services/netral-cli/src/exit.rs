//! The exit codes of `netral`, by class of failure, so a script can tell "fix your input"
//! from "try again later" without parsing the message. The table is printed by `--help`
//! ([`EXIT_CODES_HELP`]) and in the README.

use tonic::Code;

use crate::rpc::RpcFailure;

/// The exit code table, as `netral --help` prints it.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  anything else (a file that cannot be read, ...)
  2  usage: the command line does not parse
  3  refused as invalid: INVALID_ARGUMENT (field violations listed) or FAILED_PRECONDITION
  4  not allowed: PERMISSION_DENIED or UNAUTHENTICATED
  5  NOT_FOUND
  6  conflict: ABORTED (stale etag: read the case again) or ALREADY_EXISTS
  7  try again later: UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED, or the server
     cannot be reached";

/// The exit code for a failed command: by the gRPC code of the refusal in its chain, 7 when
/// the connection failed, 1 otherwise.
pub fn code_of(err: &anyhow::Error) -> u8 {
    if let Some(failure) = err.chain().find_map(|c| c.downcast_ref::<RpcFailure>()) {
        return code_for(failure.code);
    }
    let unreachable = err
        .chain()
        .any(|cause| cause.is::<tonic::transport::Error>());
    if unreachable { 7 } else { 1 }
}

/// The exit code for a gRPC status code.
pub fn code_for(code: Code) -> u8 {
    match code {
        Code::Ok => 0,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 3,
        Code::PermissionDenied | Code::Unauthenticated => 4,
        Code::NotFound => 5,
        Code::Aborted | Code::AlreadyExists => 6,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => 7,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use tonic::Status;

    use super::*;
    use crate::rpc::rpc_error;

    #[test]
    fn each_class_of_refusal_has_its_exit_code() {
        let exit = |code| code_of(&rpc_error("AcceptCase", &Status::new(code, "no")));
        assert_eq!(exit(Code::InvalidArgument), 3);
        assert_eq!(exit(Code::FailedPrecondition), 3);
        assert_eq!(exit(Code::PermissionDenied), 4);
        assert_eq!(exit(Code::Unauthenticated), 4);
        assert_eq!(exit(Code::NotFound), 5);
        assert_eq!(exit(Code::Aborted), 6);
        assert_eq!(exit(Code::AlreadyExists), 6);
        assert_eq!(exit(Code::Unavailable), 7);
        assert_eq!(exit(Code::DeadlineExceeded), 7);
        assert_eq!(exit(Code::ResourceExhausted), 7);
        assert_eq!(exit(Code::Internal), 1);
        let wrapped = rpc_error("GetCase", &Status::not_found("gone")).context("reading");
        assert_eq!(code_of(&wrapped), 5, "found however deep in the chain");
        assert_eq!(code_of(&anyhow::anyhow!("cannot read case.json")), 1);
    }

    #[tokio::test]
    async fn a_server_that_cannot_be_reached_is_worth_trying_again() {
        // Port 1 on loopback: nothing listens there.
        let refused = tonic::transport::Channel::from_static("http://127.0.0.1:1")
            .connect()
            .await
            .unwrap_err();
        let err = anyhow::Error::new(refused).context("cannot connect to http://127.0.0.1:1");
        assert_eq!(code_of(&err), 7);
    }
}

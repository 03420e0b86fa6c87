//! `netral demo` against a real server: the seed stories play to their different ends as
//! their own agencies, the compliance table and an audit timeline follow, and a second run
//! against the same server says what exists instead of failing.

use netral_cli::demo::DemoArgs;
use netral_tests::{TestApp, spawn_app};

/// `netral demo` as the command line parses it.
#[derive(Debug, clap::Parser)]
struct Netral {
    #[command(flatten)]
    demo: DemoArgs,
}

async fn demo(app: &TestApp) -> String {
    let pki = app.pki_dir.to_str().unwrap().to_owned();
    let endpoint = app.endpoint();
    let argv = ["netral", "--endpoint", &endpoint, "--pki", &pki];
    let parsed = <Netral as clap::Parser>::try_parse_from(argv).expect("the arguments parse");
    let mut out = Vec::new();
    netral_cli::demo::run(parsed.demo, &mut out)
        .await
        .unwrap_or_else(|err| {
            panic!(
                "the demo failed: {err:#}\n{}",
                String::from_utf8_lossy(&out)
            )
        });
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_demo_plays_the_seed_stories_to_their_ends_and_can_run_twice() {
    let app = spawn_app().await;
    let first = demo(&app).await;
    for story in [
        "Hulu Sungai Selatan",
        "Kotabaru",
        "Batang Hari",
        "OKU Selatan",
    ] {
        assert!(first.contains(story), "{story} missing:\n{first}");
    }
    let ends = |state: &str| {
        let ended = |l: &&str| l.split_whitespace().any(|word| word == state);
        first.lines().filter(ended).count()
    };
    assert!(ends("RECORDED") >= 2, "{first}");
    assert_eq!(ends("DISMISSED"), 1, "{first}");
    assert_eq!(ends("NOT_PROVEN"), 1, "{first}");
    assert!(
        first
            .lines()
            .any(|l| l.contains("bawaslu-kotabaru") && l.contains("RegisterCase"))
    );
    assert!(first.lines().any(|l| l.contains("pemkab-hulu-sungai-selatan") && l.contains("RecordSanctionDecree")));
    assert!(
        first.contains("next: PPK_ACTION pemkab-oku-selatan"),
        "an open case with its deadline:\n{first}"
    );
    assert!(first.contains("province"), "the compliance table:\n{first}");
    assert!(first.contains("The audit timeline of cases/"), "{first}");

    let second = demo(&app).await;
    assert!(second.contains("already registered"), "{second}");
    assert!(
        !second.contains("RegisterCase"),
        "nothing registered twice:\n{second}"
    );
    let cases = app.list_all("bpk", "").await;
    assert_eq!(
        cases.len(),
        6,
        "one HSS, three Kotabaru, one Batang Hari, one OKU Selatan"
    );
}

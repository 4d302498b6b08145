//! `--tee` and `:tee` with the real binary against the Proton fixture: the file holds exactly the rows shown, also after Ctrl-C, and rotates at its size bound.

use crate::support::fixture::ProtonFixture;
use crate::support::pty::*;
use crate::support::{batch, sigint, text, wait_output, TempDir, WAIT};
use std::io::Read;

/// The `id` of each JSON line (`{"id":3,…}`).
fn json_ids(file: &str) -> Vec<u64> {
    file.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v.as_object()
                .and_then(|o| o.values().next())
                .and_then(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()))
                .expect("a number first")
        })
        .collect()
}

#[test]
fn batch_tee_holds_exactly_the_rows_printed_after_sigint() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("tee-batch");
    let file = dir.path().join("rows.jsonl");
    let mut child = batch(dir.path())
        .args(["--host", "127.0.0.1", "--port", &fx.port().to_string()])
        .arg("--tee")
        .arg(&file)
        .args(["-q", "SELECT * FROM ticker"])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut printed = vec![0u8; 64];
    stdout.read_exact(&mut printed).unwrap();
    sigint(child.id());
    stdout.read_to_end(&mut printed).unwrap();
    let out = wait_output(child, WAIT);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let printed = text(&printed);
    assert!(printed.ends_with('\n'), "a whole last line: {printed:?}");
    let shown: Vec<u64> = printed
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    let teed = std::fs::read_to_string(&file).unwrap();
    assert!(teed.ends_with('\n'));
    assert_eq!(
        json_ids(&teed),
        shown,
        "the file holds exactly the rows printed"
    );
    assert!(shown.len() >= 3);
}

#[test]
fn shell_tee_rotates_at_its_size_bound_and_stops_with_off() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("tee-shell");
    let file = dir.path().join("out.tsv");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(format!(":tee {} --rotate 200 --keep 3\r", file.display()).as_bytes());
    sh.expect("a new part every 200 bytes");
    sh.send(b"SELECT * FROM ticker;\r");
    // Enough rows for several 200-byte parts.
    sh.expect("row-60");
    sh.send(CTRL_C);
    sh.expect("Query cancelled (");
    sh.expect(" rows)");
    let screen = sh.all();
    let cancelled: u64 = screen
        .rsplit("Query cancelled (")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .expect("a row count");
    sh.send(b":tee off\r");
    sh.expect("tee off");
    let mut parts: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("out-"))
        .collect();
    parts.sort();
    assert_eq!(parts.len(), 3, "--keep 3: {parts:?}");
    let mut ids = Vec::new();
    for p in &parts {
        let body = std::fs::read_to_string(dir.path().join(p)).unwrap();
        assert!(body.ends_with('\n'), "{p} ends on a whole line");
        // A part is started once the previous one reached 200 bytes, at a row boundary.
        ids.extend(
            body.lines()
                .map(|l| l.split('\t').next().unwrap().parse::<u64>().unwrap()),
        );
    }
    // The kept parts are the newest rows, in order, ending with the last row shown.
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    assert_eq!(ids.last().copied(), Some(cancelled - 1));
    let newest = std::fs::read_to_string(dir.path().join(parts.last().unwrap())).unwrap();
    let older = std::fs::read_to_string(dir.path().join(&parts[0])).unwrap();
    assert!(older.len() >= 200, "{}", older.len());
    assert!(!newest.is_empty());
}

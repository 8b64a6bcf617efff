//! The limit on the compiled patterns alive in one process, at and past it.
//! A test binary of its own: the count is global to the process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use seg_ir::pattern::{self, PROCESS_LIMIT, PatternError};

#[test]
fn patterns_alive_in_a_process_are_capped_and_given_back() {
    assert_eq!(pattern::live_bytes(), 0);
    let mut alive = Vec::new();
    let mut i = 0;
    let refused = loop {
        let text = format!(r"\w{{40}}{i}");
        i += 1;
        let before = pattern::live_bytes();
        match pattern::shared(&text) {
            Ok(p) => {
                assert!(pattern::live_bytes() <= PROCESS_LIMIT);
                alive.push(p);
            }
            Err(e) => {
                // Refused only when it would not fit, and nothing was kept.
                assert_eq!(pattern::live_bytes(), before);
                let bytes = pattern::compile(&text).unwrap().bytes();
                assert!(before + bytes > PROCESS_LIMIT);
                break (text, e);
            }
        }
        assert!(i < 1000, "never refused");
    };
    assert_eq!(refused.1, PatternError::ProcessLimit);
    // The same text again is one more holder of the live copy, not a new one.
    let again = pattern::shared(r"\w{40}0").unwrap();
    assert!(std::sync::Arc::ptr_eq(&again, &alive[0]));
    drop(again);
    // Dropping a program's patterns gives their bytes back.
    alive.truncate(alive.len() / 2);
    assert!(pattern::shared(&refused.0).is_ok());
    alive.clear();
    assert_eq!(pattern::live_bytes(), 0);
}

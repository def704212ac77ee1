//! Delta debugging (Zeller's ddmin), aimed at a passing request: given
//! changes that together make a failing request pass, find a 1-minimal
//! subset that still does (removing any one of its changes makes it fail
//! again). It tries halves first, then finer chunks and their complements,
//! down to single changes.
//!
//! The algorithm is pure; whoever sends the candidates is the [`Oracle`],
//! which may also say [`Trial::Stop`] (budget spent, interrupted) — the
//! search then ends with the best set found so far.

use std::collections::HashMap;

/// What one candidate did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trial {
    /// The request succeeded with these changes.
    Pass,
    /// It failed (the same way or otherwise), or could not be judged.
    Fail,
    /// No more trials: stop searching.
    Stop,
}

/// Tries a set of changes (indices into the caller's list, ascending).
pub trait Oracle {
    fn test(&mut self, changes: &[usize]) -> impl std::future::Future<Output = Trial>;
}

/// How the search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Minimized {
    /// A 1-minimal set of changes that makes the request pass.
    Minimal(Vec<usize>),
    /// Even every change together does not make it pass.
    NoPass,
    /// Stopped early; the smallest passing set known so far, if any.
    Stopped(Option<Vec<usize>>),
}

/// Runs ddmin over changes `0..count`, testing the whole set first.
pub async fn minimize<O: Oracle>(oracle: &mut O, count: usize) -> Minimized {
    let mut memo = Memo::default();
    let all: Vec<usize> = (0..count).collect();
    match memo.test(oracle, &all).await {
        Trial::Pass => {}
        Trial::Fail => return Minimized::NoPass,
        Trial::Stop => return Minimized::Stopped(None),
    }
    let mut current = all;
    let mut granularity = 2;
    while current.len() >= 2 {
        let chunks = split(&current, granularity);
        match reduce(oracle, &mut memo, &current, &chunks).await {
            Step::Reduced(smaller, next) => {
                current = smaller;
                granularity = next;
            }
            Step::Stop => return Minimized::Stopped(Some(current)),
            Step::Unchanged if granularity >= current.len() => break,
            Step::Unchanged => granularity = (granularity * 2).min(current.len()),
        }
    }
    Minimized::Minimal(current)
}

enum Step {
    /// A smaller passing set, and the granularity to go on with.
    Reduced(Vec<usize>, usize),
    Unchanged,
    Stop,
}

/// One round: each chunk alone, then (above two chunks) each complement.
async fn reduce<O: Oracle>(
    oracle: &mut O,
    memo: &mut Memo,
    current: &[usize],
    chunks: &[Vec<usize>],
) -> Step {
    for chunk in chunks {
        match memo.test(oracle, chunk).await {
            Trial::Pass => return Step::Reduced(chunk.clone(), 2),
            Trial::Stop => return Step::Stop,
            Trial::Fail => {}
        }
    }
    // With two chunks each complement is the other chunk: already tried.
    if chunks.len() > 2 {
        for chunk in chunks {
            let complement: Vec<usize> = current
                .iter()
                .copied()
                .filter(|c| !chunk.contains(c))
                .collect();
            match memo.test(oracle, &complement).await {
                Trial::Pass => return Step::Reduced(complement, (chunks.len() - 1).max(2)),
                Trial::Stop => return Step::Stop,
                Trial::Fail => {}
            }
        }
    }
    Step::Unchanged
}

/// `items` in `n` nearly equal consecutive chunks (the first ones longer).
pub fn split(items: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.clamp(1, items.len().max(1));
    let (size, extra) = (items.len() / n, items.len() % n);
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let len = size + usize::from(i < extra);
        chunks.push(items[start..start + len].to_vec());
        start += len;
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// Remembers answers, so a set is never tried twice.
#[derive(Default)]
struct Memo {
    seen: HashMap<Vec<usize>, Trial>,
}

impl Memo {
    async fn test<O: Oracle>(&mut self, oracle: &mut O, set: &[usize]) -> Trial {
        if let Some(trial) = self.seen.get(set) {
            return *trial;
        }
        let trial = oracle.test(set).await;
        if trial != Trial::Stop {
            self.seen.insert(set.to_vec(), trial);
        }
        trial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passes when the set holds every change of any one of `causes`
    /// (each cause is a set of changes needed together); stops after
    /// `budget` trials.
    struct Fake {
        causes: Vec<Vec<usize>>,
        budget: usize,
        tried: Vec<Vec<usize>>,
    }

    impl Fake {
        fn new(causes: &[&[usize]], budget: usize) -> Fake {
            Fake {
                causes: causes.iter().map(|c| c.to_vec()).collect(),
                budget,
                tried: Vec::new(),
            }
        }
    }

    impl Oracle for Fake {
        async fn test(&mut self, changes: &[usize]) -> Trial {
            if self.tried.len() >= self.budget {
                return Trial::Stop;
            }
            self.tried.push(changes.to_vec());
            let passes = self
                .causes
                .iter()
                .any(|cause| cause.iter().all(|c| changes.contains(c)));
            if passes { Trial::Pass } else { Trial::Fail }
        }
    }

    fn run(oracle: &mut Fake, count: usize) -> Minimized {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(minimize(oracle, count))
    }

    #[test]
    fn finds_a_single_culprit_anywhere_in_few_trials() {
        for count in [1, 2, 3, 7, 16, 40] {
            for culprit in 0..count {
                let mut oracle = Fake::new(&[&[culprit]], 64);
                assert_eq!(
                    run(&mut oracle, count),
                    Minimized::Minimal(vec![culprit]),
                    "{culprit} of {count}"
                );
                // Whole set, then halving: about 2·log2(n) trials.
                let bound = 2 + 2 * (usize::BITS - count.leading_zeros()) as usize;
                assert!(
                    oracle.tried.len() <= bound,
                    "{culprit} of {count}: {} trials",
                    oracle.tried.len()
                );
            }
        }
    }

    #[test]
    fn the_first_trial_is_the_whole_set_then_halves() {
        let mut oracle = Fake::new(&[&[5]], 64);
        run(&mut oracle, 8);
        assert_eq!(oracle.tried[0], (0..8).collect::<Vec<_>>());
        assert_eq!(oracle.tried[1], [0, 1, 2, 3]);
        assert_eq!(oracle.tried[2], [4, 5, 6, 7]);
    }

    #[test]
    fn finds_changes_needed_together() {
        let mut oracle = Fake::new(&[&[1, 6]], 64);
        assert_eq!(run(&mut oracle, 8), Minimized::Minimal(vec![1, 6]));
        let mut oracle = Fake::new(&[&[0, 3, 9]], 64);
        assert_eq!(run(&mut oracle, 12), Minimized::Minimal(vec![0, 3, 9]));
    }

    #[test]
    fn the_result_is_one_minimal_when_causes_overlap() {
        let mut oracle = Fake::new(&[&[2, 3], &[5]], 64);
        let Minimized::Minimal(found) = run(&mut oracle, 8) else {
            panic!("no minimal set");
        };
        assert!(found == [5] || found == [2, 3], "{found:?}");
    }

    #[test]
    fn nothing_passes_after_one_trial() {
        let mut oracle = Fake::new(&[], 64);
        assert_eq!(run(&mut oracle, 10), Minimized::NoPass);
        assert_eq!(oracle.tried.len(), 1);
        let mut oracle = Fake::new(&[&[0]], 64);
        assert_eq!(run(&mut oracle, 0), Minimized::NoPass);
    }

    #[test]
    fn a_stop_keeps_the_best_set_so_far() {
        let mut oracle = Fake::new(&[&[6]], 0);
        assert_eq!(run(&mut oracle, 8), Minimized::Stopped(None));
        let mut oracle = Fake::new(&[&[6]], 3);
        assert_eq!(
            run(&mut oracle, 8),
            Minimized::Stopped(Some(vec![4, 5, 6, 7]))
        );
        assert_eq!(oracle.tried.len(), 3);
    }

    #[test]
    fn never_tries_a_set_twice() {
        let mut oracle = Fake::new(&[&[1, 4, 6]], 200);
        run(&mut oracle, 9);
        let mut seen = std::collections::HashSet::new();
        for set in &oracle.tried {
            assert!(seen.insert(set.clone()), "{set:?} tried twice");
        }
    }

    #[test]
    fn splits_are_even_and_cover_everything() {
        assert_eq!(split(&[0, 1, 2, 3, 4], 2), [vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(split(&[0, 1, 2], 5), [vec![0], vec![1], vec![2]]);
        assert_eq!(split(&[], 2), Vec::<Vec<usize>>::new());
    }
}

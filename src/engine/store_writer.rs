//! A thread that owns the history store's writing connection, so the
//! engine's tasks never block on SQLite.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::exchange::Exchange;
use crate::store::Store;

enum Message {
    Insert(Box<Exchange>),
    Flush(oneshot::Sender<()>),
}

/// Hands exchanges to the writer thread. Dropping it finishes the queued
/// writes and joins the thread.
pub struct StoreWriter {
    sender: Option<mpsc::Sender<Message>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreWriter")
    }
}

/// The most exchanges written in one transaction.
const BATCH_MAX: usize = 256;

/// Inserts the batch's exchanges in one transaction (each alone should
/// that fail, so one bad record costs only itself), then answers the
/// flushes that were queued behind them.
fn write_batch(store: &mut Store, batch: Vec<Message>, on_error: &impl Fn(String)) {
    let mut exchanges = Vec::new();
    let mut flushes = Vec::new();
    for message in batch {
        match message {
            Message::Insert(exchange) => exchanges.push(*exchange),
            Message::Flush(done) => flushes.push(done),
        }
    }
    if exchanges.len() > 1 {
        match store.insert_many_in_place(&mut exchanges) {
            Ok(()) => exchanges.clear(),
            Err(error) => {
                tracing::debug!(%error, "a batch failed; writing its exchanges one by one");
            }
        }
    }
    for exchange in exchanges {
        let id = exchange.id.clone();
        if let Err(error) = store.insert_owned(exchange) {
            tracing::warn!(%error, %id, "history write failed");
            on_error(error.to_string());
        }
    }
    for done in flushes {
        let _ = done.send(());
    }
}

impl StoreWriter {
    /// Starts the writer. `on_error` hears about every failed write (the
    /// engine turns it into an event the user sees).
    pub fn spawn(
        store: Store,
        on_error: impl Fn(String) + Send + 'static,
    ) -> std::io::Result<StoreWriter> {
        let (sender, receiver) = mpsc::channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("claudetui-store".into())
            .spawn(move || {
                let mut store = store;
                while let Ok(first) = receiver.recv() {
                    // What queued up meanwhile goes in the same transaction:
                    // under a busy tap one commit serves many exchanges.
                    let mut batch = vec![first];
                    batch.extend(receiver.try_iter().take(BATCH_MAX));
                    write_batch(&mut store, batch, &on_error);
                }
            })?;
        Ok(StoreWriter {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    pub fn insert(&self, exchange: Exchange) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(Message::Insert(Box::new(exchange)));
        }
    }

    /// Waits until every exchange handed over so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if let Some(sender) = &self.sender
            && sender.send(Message::Flush(done)).is_ok()
        {
            let _ = wait.await;
        }
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_is_written_whole_and_a_flush_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let (store, _) = Store::open(&path).unwrap();
        let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = errors.clone();
        let writer = StoreWriter::spawn(store, move |e| seen.lock().unwrap().push(e)).unwrap();
        let mut sample = crate::test_support::exchange(1, "m", Some(200));
        sample.request.headers.push(crate::api::types::Header::new(
            "x-api-key",
            crate::test_support::TEST_KEY,
        ));
        for n in 0..300 {
            let mut ex = sample.clone();
            ex.id = crate::exchange::ExchangeId::from_text(&format!("ex_burst_{n:04}"));
            writer.insert(ex);
        }
        // The same id twice in one batch: one row, no failure.
        writer.insert(sample.clone());
        writer.insert(sample);
        writer.flush().await;
        let (reader, _) = Store::open(&path).unwrap();
        assert_eq!(reader.count(&Default::default()).unwrap(), 301);
        let back = reader.get("ex_burst_0007").unwrap().unwrap();
        assert!(
            !serde_json::to_string(&back)
                .unwrap()
                .contains(&crate::test_support::TEST_KEY[12..])
        );
        assert!(errors.lock().unwrap().is_empty());
    }
}

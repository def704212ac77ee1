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
                for message in receiver {
                    match message {
                        Message::Insert(exchange) => {
                            let id = exchange.id.clone();
                            if let Err(error) = store.insert_owned(*exchange) {
                                tracing::warn!(%error, %id, "history write failed");
                                on_error(error.to_string());
                            }
                        }
                        Message::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
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

//! The background worker: sends requests, times them, assembles exchanges.

-- +goose Up

-- Admin console sign-ins. The cookie holds a random session id; only its
-- SHA-256 is stored, so a copy of this table opens no session. The token
-- is kept as the digest the API's credentials carry: a session lives only
-- while its token is still configured and unexpired, and dies at sign-out
-- (the row is deleted) or at expires_at, whichever is first.
CREATE TABLE console_sessions (
    id_digest    bytea PRIMARY KEY,
    token_digest bytea NOT NULL,
    admin        text NOT NULL,
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);

-- +goose Down
DROP TABLE console_sessions;

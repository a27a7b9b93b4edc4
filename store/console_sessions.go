package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsoleSession is one admin console sign-in.
type ConsoleSession struct {
	IDDigest    []byte // SHA-256 of the cookie's session id
	TokenDigest []byte // SHA-256 of the admin token signed in with
	Admin       string
	CSRF        string // every form of the session carries it
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CreateConsoleSession stores a sign-in and, while at it, forgets the
// sessions that expired, so the table holds only live ones.
func (s *Store) CreateConsoleSession(ctx context.Context, cs ConsoleSession) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at < now()`); err != nil {
		return fmt.Errorf("store: expire console sessions: %w", err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO console_sessions (id_digest, token_digest, admin, csrf, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, cs.IDDigest, cs.TokenDigest, cs.Admin, cs.CSRF, cs.ExpiresAt)
	if err != nil {
		return fmt.Errorf("store: create console session: %w", err)
	}
	return nil
}

// ConsoleSessionByDigest is the unexpired session of a session id's
// digest, or ErrNotFound.
func (s *Store) ConsoleSessionByDigest(ctx context.Context, idDigest []byte) (ConsoleSession, error) {
	var cs ConsoleSession
	err := s.pool.QueryRow(ctx, `SELECT id_digest, token_digest, admin, csrf, created_at, expires_at
		FROM console_sessions WHERE id_digest = $1 AND expires_at > now()`, idDigest).
		Scan(&cs.IDDigest, &cs.TokenDigest, &cs.Admin, &cs.CSRF, &cs.CreatedAt, &cs.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ConsoleSession{}, ErrNotFound
	}
	if err != nil {
		return ConsoleSession{}, fmt.Errorf("store: console session: %w", err)
	}
	return cs, nil
}

// DeleteConsoleSession ends a session (sign-out); an unknown one is no
// error: it is ended either way.
func (s *Store) DeleteConsoleSession(ctx context.Context, idDigest []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE id_digest = $1`, idDigest); err != nil {
		return fmt.Errorf("store: delete console session: %w", err)
	}
	return nil
}

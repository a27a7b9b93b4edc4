package usecase

import (
	"errors"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/payout"
)

// The errors of the use cases. Their callers (httpapi) map them to answers
// in one place; anything else is an internal error.

// NotFoundError: the thing asked for does not exist.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }

// ConflictError: the request cannot be done in the thing's present state,
// for the reason given (a key reused with other terms, a decision the
// workflow refuses, a workflow ID taken).
type ConflictError struct {
	Reason string
	// RetriedAs names the payout that already retries the one asked about.
	RetriedAs string
}

func (e *ConflictError) Error() string { return e.Reason }

// InvalidError: the request breaks a rule; nothing was changed. Fields are
// field errors, Rows a batch's per-row field errors.
type InvalidError struct {
	Message string
	Fields  payout.FieldErrors
	Rows    map[int]payout.FieldErrors
}

func (e *InvalidError) Error() string { return e.Message }

// UnavailableError: a service the use case needs did not answer; the
// message says what state things are in and whether to retry.
type UnavailableError struct {
	Message string
	Err     error
}

func (e *UnavailableError) Error() string { return e.Message + ": " + e.Err.Error() }

func (e *UnavailableError) Unwrap() error { return e.Err }

func notFound(what string) error { return &NotFoundError{What: what} }

func conflict(reason string) error { return &ConflictError{Reason: reason} }

func unavailable(msg string, err error) error { return &UnavailableError{Message: msg, Err: err} }

func invalid(msg string, fields payout.FieldErrors) error {
	return &InvalidError{Message: msg, Fields: fields}
}

// IsNotFound reports whether err is a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// needFor checks the role a decision needs; a decision no table lists is
// left to the use case to refuse, and needs an admin meanwhile so an
// unlisted decision is never open to everyone.
func needFor(a access.Actor, roles map[string]access.Role, decision, what string) error {
	role, ok := roles[decision]
	if !ok {
		role = access.Admin
	}
	return access.Need(a, role, decision+" a "+what)
}

// Package access says who may do what: the roles an admin token carries
// and the checks the application layer makes before any use case reads or
// writes anything. It knows nothing of HTTP or tokens; the API resolves a
// token to an Actor and the use cases ask the Actor.
package access

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is one thing a token may do. Every role may read.
type Role string

const (
	// Viewer reads and does nothing else.
	Viewer Role = "viewer"
	// Initiator creates payouts, campaigns, schedules and wallets.
	Initiator Role = "initiator"
	// Approver approves and rejects what waits for a second admin.
	Approver Role = "approver"
	// Operator cancels payouts, pauses, resumes and cancels campaigns,
	// pauses, resumes and deletes schedules, triggers reconciliation and
	// resolves what needs attention.
	Operator Role = "operator"
	// Admin does everything.
	Admin Role = "admin"
)

// Roles are every role, in the order the README's table lists them.
var Roles = []Role{Viewer, Initiator, Approver, Operator, Admin}

// System is the actor name of changes the service makes by itself
// (workflows, reconciliation), so an audit row never looks like an
// admin's when no admin took the decision.
const System = "system"

// ParseRoles reads roles joined by "+" ("initiator+approver"). Unknown or
// repeated roles are errors: a typo must never widen or silently narrow
// what a token may do.
func ParseRoles(s string) ([]Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no roles given; want some of %s joined by +", FormatRoles(Roles))
	}
	var out []Role
	for part := range strings.SplitSeq(s, "+") {
		r := Role(strings.TrimSpace(part))
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("unknown role %q; want some of %s joined by +", string(r), FormatRoles(Roles))
		}
		if slices.Contains(out, r) {
			return nil, fmt.Errorf("role %q listed twice", string(r))
		}
		out = append(out, r)
	}
	return out, nil
}

// FormatRoles is the inverse of ParseRoles.
func FormatRoles(roles []Role) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	return strings.Join(parts, "+")
}

// Actor is an authenticated admin: its name goes into the audit trail,
// its roles decide what it may do.
type Actor struct {
	Name  string
	Roles []Role
}

// NewActor is the actor of a parsed token. No roles means every role:
// that is what a "name:token" entry without roles has always meant.
func NewActor(name string, roles []Role) Actor {
	if len(roles) == 0 {
		roles = []Role{Admin}
	}
	return Actor{Name: name, Roles: slices.Clone(roles)}
}

// Can says whether the actor may act in role r: an admin may do all, and
// every role (a viewer too) may read.
func (a Actor) Can(r Role) bool {
	if a.Name == "" {
		return false
	}
	if r == Viewer {
		return len(a.Roles) > 0
	}
	return slices.Contains(a.Roles, r) || slices.Contains(a.Roles, Admin)
}

// Need refuses, with a *Forbidden, an actor that cannot act in role r;
// action names what was asked ("approve a payout") for the answer and log.
func Need(a Actor, r Role, action string) error {
	if a.Can(r) {
		return nil
	}
	return &Forbidden{Actor: a.Name, Need: r, Action: action}
}

// Forbidden is a request outside the actor's roles. Nothing was read or
// written when it is returned.
type Forbidden struct {
	Actor  string
	Need   Role
	Action string
}

func (e *Forbidden) Error() string {
	who := e.Actor
	if who == "" {
		who = "an unnamed actor"
	}
	return fmt.Sprintf("%s may not %s: that needs the %s role", who, e.Action, e.Need)
}

// NotInitiator is the four-eyes rule: the approver of a payout, campaign
// or schedule is never the admin who initiated it. Names are compared as
// the audit trail records them.
func NotInitiator(a Actor, initiator string) error {
	if a.Name != "" && a.Name != initiator {
		return nil
	}
	return &SelfApproval{Actor: a.Name}
}

// SelfApproval is an approval by the initiator itself.
type SelfApproval struct {
	Actor string
}

func (e *SelfApproval) Error() string {
	return fmt.Sprintf("the approver is never its initiator: %s initiated it, so %s cannot approve it", e.Actor, e.Actor)
}

// Credential is an admin token as the API keeps it: the SHA-256 of the
// token, never the token itself, so a memory dump or a log of the
// configuration gives no usable token.
type Credential struct {
	Actor   Actor
	Digest  [sha256.Size]byte
	Expires time.Time // zero: never
}

// NewCredential is the credential of a token; no roles means every role.
func NewCredential(name, token string, roles []Role, expires time.Time) Credential {
	return Credential{Actor: NewActor(name, roles), Digest: Digest(token), Expires: expires}
}

// Digest is the SHA-256 of a token, as ADMIN_TOKENS_FILE lists it.
func Digest(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// Expired says whether the credential no longer opens anything at now.
func (c Credential) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !now.Before(c.Expires)
}

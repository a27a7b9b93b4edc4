package payout

import (
	"errors"
	"fmt"
	"strings"
)

// Transition is one status change the lifecycle allows, and why it exists.
type Transition struct {
	From, To Status
	Why      string
}

// transitions is the whole status machine: a change not listed here is
// refused, by CanTransition and by the database alike. Final statuses are
// the ones nothing leaves, and ranks are the longest way to each status, so
// they cannot drift from the rows. The database's payout_can_transition and
// payout_status_rank are generated from this table into a migration
// (schema's TestStatusRuleMigration); changing a row needs a new migration.
//
// Rows that skip statuses are there because Heleket's answers do not pass
// through each of ours: webhooks get lost or arrive late, a poll sees only
// the latest status, and a repeated create or a reconciliation run finds a
// payout already far along.
var transitions = []Transition{
	{StatusAwaitingApproval, StatusRequested, "a second admin approved it; only now may it reach Heleket"},
	{StatusAwaitingApproval, StatusRejected, "a second admin rejected it"},
	{StatusAwaitingApproval, StatusExpired, "nobody decided within the approval window"},
	{StatusAwaitingApproval, StatusCancelled, "an admin cancelled it while it waited for approval"},

	{StatusRequested, StatusSubmitted, "Heleket accepted the create"},
	{StatusRequested, StatusRejected, "Heleket refused the create; only possible before Heleket holds the payout"},
	{StatusRequested, StatusCancelled, "an admin cancelled it before submission, or reconciliation finds it cancelled at Heleket"},
	{StatusRequested, StatusProcessing, "reconciliation finds Heleket processing a payout no workflow follows (its create answer was never recorded)"},
	{StatusRequested, StatusVerifying, "reconciliation finds Heleket checking a payout no workflow follows (its create answer was never recorded)"},
	{StatusRequested, StatusPaid, "reconciliation finds Heleket already paid a payout no workflow follows (its create answer was never recorded)"},
	{StatusRequested, StatusFailed, "reconciliation finds Heleket already failed a payout no workflow follows (its create answer was never recorded)"},
	{StatusRequested, StatusAwaitingFunds, "Heleket refused the create and the merchant balance is below amount + fee: held until funds arrive"},

	// Heleket holds nothing under the order_id while a payout awaits funds,
	// so its rows are those of requested: the same create is sent again.
	{StatusAwaitingFunds, StatusSubmitted, "funds arrived and Heleket accepted the create sent again under the same order_id"},
	{StatusAwaitingFunds, StatusRejected, "the create sent again was refused for a reason other than funds (the balance covers it, or a field is invalid)"},
	{StatusAwaitingFunds, StatusFailed, "funds did not arrive within PAYOUT_FUNDS_WAIT, or reconciliation finds Heleket failed a create sent again whose answer was never recorded"},
	{StatusAwaitingFunds, StatusCancelled, "an operator cancelled it while it waited for funds, or reconciliation finds it cancelled at Heleket"},
	{StatusAwaitingFunds, StatusProcessing, "reconciliation finds Heleket processing a create sent again whose answer was never recorded"},
	{StatusAwaitingFunds, StatusVerifying, "reconciliation finds Heleket checking a create sent again whose answer was never recorded"},
	{StatusAwaitingFunds, StatusPaid, "reconciliation finds Heleket paid a create sent again whose answer was never recorded"},

	{StatusSubmitted, StatusProcessing, "Heleket reports process"},
	{StatusSubmitted, StatusVerifying, "Heleket reports check, or a fail it does not call final, before we saw process"},
	{StatusSubmitted, StatusPaid, "Heleket reports paid before we saw process; a repeated create after a lost answer already shows paid"},
	{StatusSubmitted, StatusFailed, "Heleket reports a final fail before we saw process, or a repeated create already shows one"},
	{StatusSubmitted, StatusCancelled, "Heleket reports cancel"},

	{StatusProcessing, StatusVerifying, "Heleket reports check, or a fail it does not call final"},
	{StatusProcessing, StatusPaid, "Heleket reports paid, confirmed by payout info"},
	{StatusProcessing, StatusFailed, "Heleket reports a final fail, confirmed by payout info"},
	{StatusProcessing, StatusCancelled, "Heleket reports cancel, confirmed by payout info"},

	{StatusVerifying, StatusPaid, "Heleket reports paid after its check, confirmed by payout info"},
	{StatusVerifying, StatusFailed, "Heleket reports a final fail after its check, confirmed by payout info"},
	{StatusVerifying, StatusCancelled, "Heleket reports cancel after its check, confirmed by payout info"},
}

// RankFinal is the rank all final statuses share, above every open one, so
// that each row of the table goes up in rank. The database guard reads it
// as "final".
const RankFinal = 9

// machine is what the table implies, worked out once.
var machine = mustDerive(transitions, Statuses)

type statusMachine struct {
	allowed map[[2]Status]bool
	rank    map[Status]int
}

// Transitions returns a copy of the table of allowed status changes.
func Transitions() []Transition { return append([]Transition(nil), transitions...) }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := machine.rank[s]; return ok }

// Final reports whether no further change can happen: no row leaves s.
func (s Status) Final() bool { return machine.rank[s] == RankFinal }

// Rank is the lifecycle order: every allowed change goes up in rank.
func (s Status) Rank() int { return machine.rank[s] }

// Retryable says whether a payout in status s may be retried as a new
// payout: it ended without its money going out.
func (s Status) Retryable() bool {
	return s == StatusFailed || s == StatusRejected || s == StatusExpired
}

// CanTransition reports whether the table has the row from → to.
func CanTransition(from, to Status) bool { return machine.allowed[[2]Status{from, to}] }

func mustDerive(ts []Transition, statuses []Status) statusMachine {
	m, err := derive(ts, statuses)
	if err != nil {
		// The table is a constant of the program: a bad row is a build bug.
		panic("payout: transition table: " + err.Error())
	}
	return m
}

func derive(ts []Transition, statuses []Status) (statusMachine, error) {
	m := statusMachine{allowed: make(map[[2]Status]bool, len(ts))}
	known := make(map[Status]bool, len(statuses))
	for _, s := range statuses {
		known[s] = true
	}
	for _, t := range ts {
		if err := checkRow(t, known, m.allowed); err != nil {
			return statusMachine{}, err
		}
		m.allowed[[2]Status{t.From, t.To}] = true
	}
	rank, err := ranks(ts, statuses)
	if err != nil {
		return statusMachine{}, err
	}
	m.rank = rank
	return m, nil
}

func checkRow(t Transition, known map[Status]bool, seen map[[2]Status]bool) error {
	switch {
	case !known[t.From] || !known[t.To]:
		return fmt.Errorf("%s -> %s: unknown status", t.From, t.To)
	case t.From == t.To:
		return fmt.Errorf("%s -> %s: a status does not change into itself", t.From, t.To)
	case t.Why == "":
		return fmt.Errorf("%s -> %s: no reason given", t.From, t.To)
	case strings.ContainsAny(t.Why, "\r\n"):
		// The reason becomes a SQL comment in the generated migration.
		return fmt.Errorf("%s -> %s: the reason must be one line", t.From, t.To)
	case seen[[2]Status{t.From, t.To}]:
		return fmt.Errorf("%s -> %s: listed twice", t.From, t.To)
	}
	return nil
}

// ranks gives each open status the length of the longest way to it and
// each final one RankFinal. A cycle has no longest way: a payout could go
// round it forever, so it is refused.
func ranks(ts []Transition, statuses []Status) (map[Status]int, error) {
	open := make(map[Status]bool, len(statuses))
	listed := make(map[Status]bool, len(statuses))
	for _, t := range ts {
		open[t.From], listed[t.From], listed[t.To] = true, true, true
	}
	rank := make(map[Status]int, len(statuses))
	for _, s := range statuses {
		if !listed[s] {
			return nil, fmt.Errorf("%s: in no row", s)
		}
		rank[s] = 0
	}
	for range len(statuses) + 1 {
		changed := false
		for _, t := range ts {
			if open[t.To] && rank[t.To] < rank[t.From]+1 {
				rank[t.To], changed = rank[t.From]+1, true
			}
		}
		if !changed {
			return finishRanks(rank, open, statuses)
		}
	}
	return nil, errors.New("the open statuses form a cycle")
}

func finishRanks(rank map[Status]int, open map[Status]bool, statuses []Status) (map[Status]int, error) {
	for _, s := range statuses {
		switch {
		case !open[s]:
			rank[s] = RankFinal
		case rank[s] >= RankFinal:
			return nil, fmt.Errorf("%s: rank %d reaches RankFinal", s, rank[s])
		}
	}
	return rank, nil
}

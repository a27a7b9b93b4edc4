package chaos

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/payout"
)

// Snapshot is everything the invariants look at, read after the run has
// settled: our side (Postgres), Heleket's side (the sandbox) and the plan
// that says what should have happened.
type Snapshot struct {
	Plan     Plan
	Ours     map[string]payout.Payout // by ID, for the plan's IDs
	Rows     int                      // every row of the payouts table
	Events   map[string][]payout.Event
	Theirs   []heleket.Payout // every payout the sandbox has
	Stats    sandbox.Stats
	Initial  map[string]decimal.Decimal // sandbox balances before the run
	Balances map[string]decimal.Decimal // and after
}

// Report is the outcome of the checks.
type Report struct {
	Paid, Failed int
	Duplicates   int // payouts made more than once, anywhere
	Lost         int // payouts asked for that are missing somewhere
	AuditRows    int
	Violations   []string
}

func (r *Report) violate(format string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// Check runs every invariant over the snapshot.
func Check(s Snapshot) Report {
	var r Report
	checkOurs(s, &r)
	theirs := checkTheirs(s, &r)
	checkAgreement(s, theirs, &r)
	checkBalances(s, &r)
	checkAudit(s, &r)
	return r
}

// checkOurs: every payout asked for is in Postgres, once, and final with
// the outcome its address calls for.
func checkOurs(s Snapshot, r *Report) {
	if s.Rows != len(s.Plan.Items) {
		r.violate("Postgres holds %d payouts; the run asked for %d", s.Rows, len(s.Plan.Items))
		r.Duplicates += max(0, s.Rows-len(s.Plan.Items))
	}
	for _, it := range s.Plan.Items {
		p, ok := s.Ours[it.ID]
		switch {
		case !ok:
			r.Lost++
			r.violate("payout %d (%s): not in Postgres", it.Index, it.ID)
			continue
		case p.Status == payout.StatusPaid:
			r.Paid++
		case p.Status == payout.StatusFailed:
			r.Failed++
		}
		want := payout.StatusPaid
		if it.WantFail {
			want = payout.StatusFailed
		}
		if p.Status != want {
			r.violate("payout %d (%s): status %s, want %s", it.Index, it.ID, p.Status, want)
		}
		if p.Status.Final() && p.FinalizedAt == nil {
			r.violate("payout %d (%s): %s without finalized_at", it.Index, it.ID, p.Status)
		}
	}
}

// checkTheirs: exactly one Heleket payout per payout, and nothing else.
func checkTheirs(s Snapshot, r *Report) map[string]heleket.Payout {
	ours := make(map[string]bool, len(s.Plan.Items))
	for _, it := range s.Plan.Items {
		ours[it.ID] = true
	}
	theirs := make(map[string]heleket.Payout, len(s.Theirs))
	for _, h := range s.Theirs {
		switch {
		case !ours[h.OrderID]:
			r.Duplicates++
			r.violate("Heleket payout %s has order_id %q, which is none of ours", h.UUID, h.OrderID)
		case theirs[h.OrderID].UUID != "":
			r.Duplicates++
			r.violate("order_id %s paid out twice at Heleket (%s and %s)", h.OrderID, theirs[h.OrderID].UUID, h.UUID)
		default:
			theirs[h.OrderID] = h
		}
	}
	for _, it := range s.Plan.Items {
		if _, ok := theirs[it.ID]; !ok {
			r.Lost++
			r.violate("payout %d (%s): never reached Heleket", it.Index, it.ID)
		}
	}
	if s.Stats.Creates != len(s.Plan.Items) {
		r.violate("Heleket applied %d creates for %d payouts", s.Stats.Creates, len(s.Plan.Items))
	}
	return theirs
}

// checkAgreement: our record says what Heleket says.
func checkAgreement(s Snapshot, theirs map[string]heleket.Payout, r *Report) {
	for _, it := range s.Plan.Items {
		p, okOurs := s.Ours[it.ID]
		h, okTheirs := theirs[it.ID]
		if !okOurs || !okTheirs {
			continue // already reported
		}
		for _, d := range disagreements(p, h) {
			r.violate("payout %d (%s): %s", it.Index, it.ID, d)
		}
	}
}

func disagreements(p payout.Payout, h heleket.Payout) []string {
	var out []string
	if p.HeleketUUID != h.UUID {
		out = append(out, fmt.Sprintf("heleket_uuid %q here, %q at Heleket", p.HeleketUUID, h.UUID))
	}
	if !h.Amount.Valid || !p.Amount.Equal(h.Amount.Decimal) {
		out = append(out, fmt.Sprintf("amount %s here, %s at Heleket", p.Amount, h.Amount.Decimal))
	}
	if want, _ := payout.FromHeleket(h.Status, h.Final()); p.Status != want {
		out = append(out, fmt.Sprintf("status %s here, %s at Heleket", p.Status, h.Status))
	}
	if p.Status == payout.StatusPaid && (p.TxID == "" || p.TxID != h.TxID) {
		out = append(out, fmt.Sprintf("txid %q here, %q at Heleket", p.TxID, h.TxID))
	}
	if p.Status == payout.StatusPaid && (!p.Commission.Valid || !p.Commission.Decimal.Equal(h.Commission.Decimal)) {
		out = append(out, fmt.Sprintf("commission %v here, %s at Heleket", p.Commission, h.Commission.Decimal))
	}
	return out
}

// checkBalances: the merchant balance moved by exactly what our records
// say was paid, fees included; failed payouts were credited back.
func checkBalances(s Snapshot, r *Report) {
	spent := map[string]decimal.Decimal{}
	for _, p := range s.Ours {
		if p.Status != payout.StatusPaid {
			continue
		}
		debit := p.Amount
		if p.IsSubtract {
			debit = debit.Add(p.Commission.Decimal)
		}
		spent[p.Asset] = spent[p.Asset].Add(debit)
	}
	for _, cur := range sortedKeys(s.Initial) {
		want := s.Initial[cur].Sub(spent[cur])
		if got := s.Balances[cur]; !got.Equal(want) {
			r.violate("%s balance at Heleket is %s; initial %s minus %s paid with fees is %s",
				cur, got, s.Initial[cur], spent[cur], want)
		}
	}
}

// checkAudit walks each payout's trail: it starts at creation, each row
// starts where the previous one ended, statuses only move forward, and
// the trail ends at the payout's status. So every change has exactly one
// row. Rows that flag a payout for attention keep the status (from = to)
// and are not status changes.
func checkAudit(s Snapshot, r *Report) {
	for _, it := range s.Plan.Items {
		p, ok := s.Ours[it.ID]
		if !ok {
			continue
		}
		events := s.Events[it.ID]
		r.AuditRows += len(events)
		if problem := walkTrail(events, p.Status); problem != "" {
			r.violate("payout %d (%s): audit trail %s: %s", it.Index, it.ID, trail(events), problem)
		}
	}
}

func walkTrail(events []payout.Event, status payout.Status) string {
	if len(events) == 0 {
		return "empty"
	}
	// A payout over an approval threshold is created held.
	created := events[0].To == payout.StatusRequested || events[0].To == payout.StatusAwaitingApproval
	if events[0].From != "" || !created {
		return "does not start with the creation row"
	}
	at := events[0].To
	for _, e := range events[1:] {
		// A row keeping the status is a note (attention flag, retry
		// link, resolved discrepancy), not a move.
		if e.From == e.To && e.To == at {
			continue
		}
		if e.From != at {
			return fmt.Sprintf("row %d moves from %s, but the payout was %s", e.ID, e.From, at)
		}
		if e.To.Rank() <= e.From.Rank() || !payout.CanTransition(e.From, e.To) {
			return fmt.Sprintf("row %d moves %s -> %s, not forward", e.ID, e.From, e.To)
		}
		at = e.To
	}
	if at != status {
		return fmt.Sprintf("ends at %s, but the payout is %s", at, status)
	}
	return ""
}

func trail(events []payout.Event) string {
	parts := make([]string, 0, len(events))
	for _, e := range events {
		parts = append(parts, fmt.Sprintf("%s:%s->%s", e.Source, e.From, e.To))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Package schedule is the domain of recurring payouts: what a schedule
// pays, when it runs (compiled into a Temporal schedule spec), its ID, and
// the payout ID of each run, which depends on the scheduled time alone so
// that a catch-up or a repeated backfill never pays the same run twice.
package schedule

import (
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/payout"
)

// IDPrefix starts every schedule ID; the client and the name follow.
const IDPrefix = "payout-schedule-"

// FieldName is the field of the schedule's name in the HTTP API.
const FieldName = "name"

// Names have no '-', so an ID splits unambiguously at its last '-' even
// though client IDs may contain dashes.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)

// Request is a schedule as an admin sends it, before any checks.
type Request struct {
	Name    string `json:"name"`
	Asset   string `json:"asset"`
	Network string `json:"network"`
	Amount  string `json:"amount"`
	Address string `json:"address"` // empty: the client's default wallet at each run
	Memo    string `json:"memo"`
	Spec
}

// Definition is a schedule that passed Validate.
type Definition struct {
	ID       string
	ClientID string
	Name     string
	Asset    string
	Network  string
	Amount   decimal.Decimal
	Address  string
	Memo     string
	Spec     Spec
}

// Validate checks the payout terms with the payout rules and the timing
// with Spec.Temporal, reporting every problem at once. It returns the
// compiled Temporal spec with the definition.
func Validate(clientID string, r Request, lim payout.Limits) (Definition, client.ScheduleSpec, payout.FieldErrors) {
	v, errs := payout.Validate(payout.Request{
		ClientID: clientID, Asset: r.Asset, Network: r.Network, Amount: r.Amount, Address: r.Address,
		Memo: r.Memo, Origin: string(payout.OriginScheduled),
		// Each run's idempotency comes from the schedule ID and the run's time.
		IdempotencyKey: "schedule",
	}, lim)
	if errs == nil {
		errs = payout.FieldErrors{}
	}
	name := strings.TrimSpace(r.Name)
	if !namePattern.MatchString(name) {
		errs.Add(FieldName, "must be 1-40 letters, digits or '_'")
	}
	spec := normalize(r.Spec)
	tspec, specErrs := spec.Temporal()
	for field, msgs := range specErrs {
		for _, m := range msgs {
			errs.Add(field, m)
		}
	}
	if !errs.Empty() {
		return Definition{}, client.ScheduleSpec{}, errs
	}
	return Definition{
		ID: ID(clientID, name), ClientID: clientID, Name: name, Asset: v.Asset, Network: v.Network,
		Amount: v.Amount, Address: v.Address, Memo: v.Memo, Spec: spec,
	}, tspec, nil
}

// normalize trims what the caller typed, so that a repeat that differs only
// in spacing is the same schedule.
func normalize(s Spec) Spec {
	trim := strings.TrimSpace
	s.Cron, s.TimeZone = strings.Join(strings.Fields(s.Cron), " "), trim(s.TimeZone)
	c := &s.Calendar
	c.Second, c.Minute, c.Hour, c.DayOfMonth = trim(c.Second), trim(c.Minute), trim(c.Hour), trim(c.DayOfMonth)
	c.Month, c.DayOfWeek, c.Year = trim(c.Month), trim(c.DayOfWeek), trim(c.Year)
	s.Interval.Every, s.Interval.Offset = trim(s.Interval.Every), trim(s.Interval.Offset)
	return s
}

// ID is the schedule's ID (also its Temporal schedule ID). It names the
// client and the schedule, never the destination.
func ID(clientID, name string) string { return IDPrefix + clientID + "-" + name }

// ParseID splits a schedule ID into client and name.
func ParseID(id string) (clientID, name string, ok bool) {
	rest, ok := strings.CutPrefix(id, IDPrefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || !namePattern.MatchString(rest[i+1:]) {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// RunPayoutID is the payout ID of the schedule's run at the given scheduled
// (nominal) time. Second precision matches the scheduler's own workflow
// IDs, which carry the time the same way. Schedules created before
// installation IDs existed carry none, and keep the IDs they had.
func RunPayoutID(installation, clientID, scheduleID string, scheduledAt time.Time) string {
	return payout.DeriveID(installation, "schedule", clientID, scheduleID+"@"+scheduledAt.UTC().Format(time.RFC3339))
}

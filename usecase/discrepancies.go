package usecase

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

// maxNoteLen bounds a resolution's note: a few sentences, not a report.
const maxNoteLen = 1000

// ResolveDiscrepancy closes a discrepancy with one of
// reconcile.Resolutions and a note saying why, audited with the operator's
// name on the discrepancy and on its payout, whose needs_attention clears
// when it was the payout's last open one. The same resolution and note
// again answers the resolved discrepancy (a replay); anything else on a
// resolved discrepancy is a conflict.
func (s *Service) ResolveDiscrepancy(ctx context.Context, id int64, resolution, note string, actor access.Actor) (store.ResolvedDiscrepancy, error) {
	if err := access.Need(actor, access.Operator, "resolve a discrepancy"); err != nil {
		return store.ResolvedDiscrepancy{}, err
	}
	if fields := checkResolution(resolution, note); !fields.Empty() {
		return store.ResolvedDiscrepancy{}, invalid("invalid resolution", fields)
	}
	if id <= 0 {
		return store.ResolvedDiscrepancy{}, notFound("discrepancy")
	}
	res, err := s.store.ResolveDiscrepancy(ctx, store.Resolve{ID: id, Resolution: reconcile.Resolution(resolution),
		Note: strings.TrimSpace(note), Actor: actor.Name})
	var done *store.AlreadyResolvedError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ResolvedDiscrepancy{}, notFound("discrepancy")
	case errors.As(err, &done):
		return store.ResolvedDiscrepancy{}, conflict(done.Error())
	case err != nil:
		return store.ResolvedDiscrepancy{}, err
	}
	if !res.Replayed {
		s.log.InfoContext(ctx, "discrepancy resolved", "discrepancy_id", id, "kind", res.Discrepancy.Kind,
			"payout_id", res.Discrepancy.PayoutID, "resolution", resolution, "actor", actor.Name,
			"attention_cleared", res.AttentionCleared)
	}
	return res, nil
}

func checkResolution(resolution, note string) payout.FieldErrors {
	errs := payout.FieldErrors{}
	switch {
	case resolution == "":
		errs.Add("resolution", "is required")
	case !reconcile.Resolution(resolution).Valid():
		names := make([]string, len(reconcile.Resolutions))
		for i, r := range reconcile.Resolutions {
			names[i] = string(r)
		}
		errs.Add("resolution", "must be one of "+strings.Join(names, ", "))
	}
	switch {
	case strings.TrimSpace(note) == "":
		errs.Add("note", "is required: say why the discrepancy is resolved")
	case len(note) > maxNoteLen:
		errs.Add("note", "at most 1000 characters")
	case strings.ContainsFunc(note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		// PostgreSQL refuses a NUL in text and jsonb.
		errs.Add("note", "must be text without control characters other than line breaks and tabs")
	}
	return errs
}

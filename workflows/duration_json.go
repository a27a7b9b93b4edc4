package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// duration is a time.Duration in JSON as Go writes it ("5m0s"), so the
// workflow inputs the Temporal UI shows are readable. Histories recorded
// before wrote nanoseconds; both decode.
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *duration) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] != '"' {
		var ns int64
		if err := json.Unmarshal(b, &ns); err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = duration(ns)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = duration(v)
	return nil
}

// timingJSON is Timing on the wire.
type timingJSON struct {
	WebhookWait     duration `json:"webhook_wait"`
	PollInitial     duration `json:"poll_initial"`
	PollMax         duration `json:"poll_max"`
	ApprovalTimeout duration `json:"approval_timeout,omitempty"`
	FundsWait       duration `json:"funds_wait,omitempty"`
}

func (t Timing) MarshalJSON() ([]byte, error) {
	return json.Marshal(timingJSON{duration(t.WebhookWait), duration(t.PollInitial), duration(t.PollMax),
		duration(t.ApprovalTimeout), duration(t.FundsWait)})
}

func (t *Timing) UnmarshalJSON(b []byte) error {
	var w timingJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Timing{time.Duration(w.WebhookWait), time.Duration(w.PollInitial), time.Duration(w.PollMax),
		time.Duration(w.ApprovalTimeout), time.Duration(w.FundsWait)}
	return nil
}

// payoutInputJSON is PayoutInput on the wire: its poll interval readable.
type payoutInputJSON struct {
	plainPayoutInput
	PollInterval duration `json:"poll_interval,omitempty"`
}

type plainPayoutInput PayoutInput

func (in PayoutInput) MarshalJSON() ([]byte, error) {
	return json.Marshal(payoutInputJSON{plainPayoutInput(in), duration(in.PollInterval)})
}

func (in *PayoutInput) UnmarshalJSON(b []byte) error {
	var w payoutInputJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*in = PayoutInput(w.plainPayoutInput)
	in.PollInterval = time.Duration(w.PollInterval)
	return nil
}

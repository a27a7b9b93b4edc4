package heleket

import (
	"bytes"
	"encoding/json"

	"github.com/shopspring/decimal"
)

// Lenient is a field the product does not act on, kept as Heleket sent it.
// Any JSON value decodes, so a type that drifts between endpoints or
// releases never makes an answer malformed. Empty when the field was
// absent.
type Lenient []byte

// LenientOf wraps JSON bytes that are already valid, e.g. what the sandbox
// renders.
func LenientOf(raw []byte) Lenient { return Lenient(bytes.Clone(raw)) }

func (l *Lenient) UnmarshalJSON(b []byte) error {
	*l = Lenient(bytes.Clone(b)) // the decoder reuses b after returning
	return nil
}

func (l Lenient) MarshalJSON() ([]byte, error) {
	if len(l) == 0 {
		return []byte("null"), nil
	}
	return l, nil
}

// Raw returns the JSON value as received.
func (l Lenient) Raw() json.RawMessage { return json.RawMessage(l) }

// Amount reads the value as a decimal when it is one, a JSON number or a
// numeric string; ok is false for anything else, null and absent included.
func (l Lenient) Amount() (decimal.Decimal, bool) {
	var a Amount
	if len(l) == 0 || json.Unmarshal(l, &a) != nil || !a.Valid {
		return decimal.Decimal{}, false
	}
	return a.Decimal, true
}

// Text reads the value as a JSON string; empty for anything else.
func (l Lenient) Text() string {
	var s string
	if json.Unmarshal(l, &s) != nil {
		return ""
	}
	return s
}

// Package batch is the domain of bonus campaigns: many payouts requested at
// once under one idempotency key. It reads the rows (JSON or CSV), checks
// every row with the payout rules, and derives the batch ID, the per-row
// payout IDs and the fingerprint that tells a repeat from a conflict.
package batch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxRows bounds one batch: a campaign beyond this is split by the caller.
// At this size the request is still parsed, validated and stored in one
// transaction in a few seconds (see store's BATCH_SCALE_ROWS test), and
// its workflow starts the rows page by page, so nothing else grows with it.
const MaxRows = 100000

// Row is one requested payout as the caller sends it. Amount is a string:
// money never passes through a float.
type Row struct {
	ClientID string `json:"client_id"`
	Asset    string `json:"asset"`
	Network  string `json:"network"`
	Amount   string `json:"amount"`
	Address  string `json:"address"` // empty: the client's default wallet
	Memo     string `json:"memo"`
}

// ErrMalformed wraps every problem with the shape of a body (as opposed to
// the content of a row), which callers answer with 400.
var ErrMalformed = errors.New("malformed batch")

// ParseJSON reads a JSON array of rows, strictly: unknown fields and
// numbers where strings belong are refused rather than guessed at.
func ParseJSON(r io.Reader) ([]Row, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rows []Row
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON body (want an array of rows): %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: invalid JSON body: more than one JSON value", ErrMalformed)
	}
	return rows, nil
}

// csvColumns are the columns a CSV batch may have; the first four are
// required.
var csvColumns = []string{"client_id", "asset", "network", "amount", "address", "memo"}

// ParseCSV reads rows from CSV with a header row naming the columns (any
// order, case-insensitive). Every record must have as many fields as the
// header.
func ParseCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: empty CSV body (want a header row)", ErrMalformed)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: CSV header: %w", ErrMalformed, err)
	}
	index, err := csvIndex(header)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: CSV: %w", ErrMalformed, err)
		}
		rows = append(rows, csvRow(rec, index))
	}
}

// csvIndex maps each known column to its position; a missing column maps
// to -1.
func csvIndex(header []string) (map[string]int, error) {
	index := make(map[string]int, len(csvColumns))
	for _, c := range csvColumns {
		index[c] = -1
	}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		pos, known := index[name]
		switch {
		case !known:
			return nil, fmt.Errorf("%w: CSV header: unknown column %q; columns are %s",
				ErrMalformed, truncate(name, 40), strings.Join(csvColumns, ", "))
		case pos >= 0:
			return nil, fmt.Errorf("%w: CSV header: column %q appears twice", ErrMalformed, name)
		}
		index[name] = i
	}
	var missing []string
	for _, c := range csvColumns[:4] {
		if index[c] < 0 {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: CSV header: missing column(s) %s", ErrMalformed, strings.Join(missing, ", "))
	}
	return index, nil
}

func csvRow(rec []string, index map[string]int) Row {
	get := func(col string) string {
		if i := index[col]; i >= 0 {
			return rec[i]
		}
		return ""
	}
	return Row{ClientID: get("client_id"), Asset: get("asset"), Network: get("network"),
		Amount: get("amount"), Address: get("address"), Memo: get("memo")}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IsCSV reports whether a Content-Type names CSV; anything else is JSON's
// business.
func IsCSV(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return slices.Contains([]string{"text/csv", "application/csv"}, strings.ToLower(strings.TrimSpace(mt)))
}

// trimBOM drops a UTF-8 byte order mark, which spreadsheets put before the
// CSV header (and some exporters before JSON).
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\ufeff")) }

// Parse reads a body of either kind.
func Parse(contentType string, body []byte) ([]Row, error) {
	body = trimBOM(body)
	if IsCSV(contentType) {
		return ParseCSV(bytes.NewReader(body))
	}
	return ParseJSON(bytes.NewReader(body))
}

package batch

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/heleket-payouts/payouts/payout"
)

// Field names of batch-level problems, as the HTTP API reports them.
const (
	FieldKey  = "Idempotency-Key"
	FieldRows = "rows"
)

const maxKeyLen = 200 // the same bound as a single payout's key

// RowErrors maps a row index (0-based, in request order; for CSV the first
// row after the header is 0) to the problems found in that row.
type RowErrors map[int]payout.FieldErrors

// Validate checks the batch key and every row, and reports every problem at
// once so a campaign is fixed in one round trip. Rows come back normalised
// (codes, parsed amounts) and with origin bonus. Rows beyond MaxRows are not
// looked at: the batch is refused as a whole.
func Validate(key string, rows []Row, lim payout.Limits) ([]payout.Valid, payout.FieldErrors, RowErrors) {
	batchErrs := payout.FieldErrors{}
	checkKey(batchErrs, key)
	switch {
	case len(rows) == 0:
		batchErrs.Add(FieldRows, "at least one row is required")
	case len(rows) > MaxRows:
		batchErrs.Add(FieldRows, fmt.Sprintf("at most %d rows per batch, got %d; split the campaign", MaxRows, len(rows)))
		return nil, batchErrs, RowErrors{}
	}
	valid := make([]payout.Valid, len(rows))
	rowErrs := RowErrors{}
	for i, r := range rows {
		v, errs := payout.Validate(payout.Request{
			ClientID: r.ClientID, Asset: r.Asset, Network: r.Network, Amount: r.Amount,
			Address: r.Address, Memo: r.Memo, Origin: string(payout.OriginBonus),
			// Each row's own key is derived from the batch key, checked above.
			IdempotencyKey: "batch",
		}, lim)
		if !errs.Empty() {
			rowErrs[i] = errs
			continue
		}
		valid[i] = v
	}
	return valid, batchErrs, rowErrs
}

// checkKey applies the single-payout rule to the batch key: any printable
// ASCII, because it is only ever hashed.
func checkKey(errs payout.FieldErrors, key string) {
	ok := key != "" && len(key) <= maxKeyLen
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] >= 0x20 && key[i] <= 0x7e
	}
	switch {
	case key == "":
		errs.Add(FieldKey, "is required")
	case !ok:
		errs.Add(FieldKey, fmt.Sprintf("must be 1-%d printable ASCII characters", maxKeyLen))
	}
}

// ID is the batch's ID (and, as batch-<id>, its workflow's): the same key
// always names the same batch in one installation, and two installations
// sharing a Temporal namespace never share one. The "bt" prefix keeps batch
// IDs apart from payout IDs ("po") at a glance. An empty installation gives
// the IDs of batches stored before installations existed.
func ID(installation, key string) string {
	seed := "batch\x00" + key
	if installation != "" {
		seed = "installation:" + installation + "\x00" + seed
	}
	sum := sha256.Sum256([]byte(seed))
	return "bt" + base64.RawURLEncoding.EncodeToString(sum[:])[:payout.IDLength-2]
}

// PayoutID is the ID of the payout for one row: deterministic per batch key
// and row within the installation, so a repeated request finds the same
// payouts, workflows and Heleket order_ids instead of creating new ones.
func PayoutID(installation, key, clientID string, row int) string {
	return payout.DeriveID(installation, "batch", clientID, key+"#"+strconv.Itoa(row))
}

// Fingerprint hashes the rows as requested (after normalisation, before any
// default wallet is looked up), so the same request always has the same
// fingerprint even if a default wallet changed in between, and "100.50" and
// "100.5" are the same amount.
func Fingerprint(rows []payout.Valid) []byte {
	h := sha256.New()
	for _, r := range rows {
		for _, part := range []string{r.ClientID, r.Asset, r.Network, r.Amount.String(), r.Address, r.Memo} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		h.Write([]byte{'\n'})
	}
	return h.Sum(nil)
}

package payout

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Field names used as FieldErrors keys; they match the HTTP API's JSON names.
const (
	FieldClientID       = "client_id"
	FieldAsset          = "asset"
	FieldNetwork        = "network"
	FieldAmount         = "amount"
	FieldAddress        = "address"
	FieldMemo           = "memo"
	FieldOrigin         = "origin"
	FieldIdempotencyKey = "idempotency_key"
)

const (
	maxMemoLen           = 128
	maxIdempotencyKeyLen = 200
)

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Request is a payout request as a caller sends it, before any checks.
type Request struct {
	ClientID       string `json:"client_id"`
	Asset          string `json:"asset"`
	Network        string `json:"network"`
	Amount         string `json:"amount"`
	Address        string `json:"address"` // empty: the client's default wallet, resolved by the caller
	Memo           string `json:"memo"`
	Origin         string `json:"origin"`
	IdempotencyKey string `json:"idempotency_key"`
}

// FieldErrors maps a request field to the problems found with it, in a form
// that can be returned to the caller as JSON. Use a non-nil map with Add.
type FieldErrors map[string][]string

// Add records a problem with a field.
func (e FieldErrors) Add(field, msg string) { e[field] = append(e[field], msg) }

// Empty reports whether no problem was recorded.
func (e FieldErrors) Empty() bool { return len(e) == 0 }

// Error lists every problem, fields in sorted order so logs and tests are
// stable.
func (e FieldErrors) Error() string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		parts = append(parts, f+": "+strings.Join(e[f], ", "))
	}
	return "invalid payout request: " + strings.Join(parts, "; ")
}

// Valid is a request that passed Validate, with codes normalized and the
// amount parsed.
type Valid struct {
	ClientID       string
	Asset          string
	Network        string
	Amount         decimal.Decimal
	Address        string
	Memo           string
	Origin         Origin
	IdempotencyKey string
}

// Validate checks a request against every rule and reports all problems at
// once, so a caller can fix a request in one round trip. On failure the
// returned Valid is the zero value.
func Validate(r Request, lim Limits) (Valid, FieldErrors) {
	errs := FieldErrors{}
	v := Valid{
		ClientID:       r.ClientID,
		Asset:          NormalizeAsset(r.Asset),
		Network:        NormalizeNetwork(r.Network),
		Address:        strings.TrimSpace(r.Address),
		Memo:           strings.TrimSpace(r.Memo),
		IdempotencyKey: r.IdempotencyKey,
	}
	checkClientID(errs, v.ClientID)
	checkAssetNetwork(errs, v.Asset, v.Network)
	v.Amount = checkAmount(errs, v.Asset, r.Amount, lim)
	checkAddress(errs, v.Network, v.Address)
	checkMemo(errs, v.Network, v.Memo)
	v.Origin = checkOrigin(errs, r.Origin)
	checkIdempotencyKey(errs, v.IdempotencyKey)
	if !errs.Empty() {
		return Valid{}, errs
	}
	return v, nil
}

func checkClientID(errs FieldErrors, id string) {
	switch {
	case id == "":
		errs.Add(FieldClientID, "is required")
	case !clientIDPattern.MatchString(id):
		errs.Add(FieldClientID, "must be 1-64 characters of letters, digits, '_', '.' or '-'")
	}
}

// checkAssetNetwork reports the pair problem on the network field: the asset
// is usually what the client means, the network what it got wrong.
func checkAssetNetwork(errs FieldErrors, asset, network string) {
	assetOK := checkKnown(errs, FieldAsset, asset, KnownAsset(asset), sortedAssets)
	networkOK := checkKnown(errs, FieldNetwork, network, KnownNetwork(network), sortedNetworks)
	if assetOK && networkOK && !SupportsPair(asset, network) {
		errs.Add(FieldNetwork, fmt.Sprintf("%s is not available on %s; supported: %s",
			asset, network, strings.Join(networksByAsset[NormalizeAsset(asset)], ", ")))
	}
}

// checkKnown never echoes an unknown code: it may be arbitrary input.
func checkKnown(errs FieldErrors, field, value string, known bool, supported []string) bool {
	switch {
	case value == "":
		errs.Add(field, "is required")
	case !known:
		errs.Add(field, "is not supported; supported: "+strings.Join(supported, ", "))
	default:
		return true
	}
	return false
}

func checkAmount(errs FieldErrors, asset, raw string, lim Limits) decimal.Decimal {
	if strings.TrimSpace(raw) == "" {
		errs.Add(FieldAmount, "is required")
		return decimal.Decimal{}
	}
	amount, err := ParseAmount(asset, raw)
	if err != nil {
		errs.Add(FieldAmount, err.Error())
		return decimal.Decimal{}
	}
	if !KnownAsset(asset) {
		return amount // the limit depends on the asset, already reported
	}
	if limit, ok := lim.For(asset); ok && amount.GreaterThan(limit) {
		errs.Add(FieldAmount, fmt.Sprintf("exceeds the limit of %s %s per payout", limit, asset))
	}
	return amount
}

// checkAddress never echoes the address: messages end up in logs and
// responses, where a wallet address does not belong.
func checkAddress(errs FieldErrors, network, address string) {
	if address == "" || !KnownNetwork(network) {
		return
	}
	if !ValidAddress(network, address) {
		errs.Add(FieldAddress, "not a valid "+network+" address")
	}
}

func checkMemo(errs FieldErrors, network, memo string) {
	if memo == "" {
		return
	}
	if KnownNetwork(network) && !MemoAllowed(network) {
		errs.Add(FieldMemo, "is only supported on ton")
	}
	if utf8.RuneCountInString(memo) > maxMemoLen {
		errs.Add(FieldMemo, fmt.Sprintf("must be at most %d characters", maxMemoLen))
	}
	if !utf8.ValidString(memo) || strings.ContainsFunc(memo, unicode.IsControl) {
		errs.Add(FieldMemo, "must be text without control characters")
	}
}

func checkOrigin(errs FieldErrors, raw string) Origin {
	o := Origin(strings.ToLower(strings.TrimSpace(raw)))
	if o == "" {
		return OriginManual
	}
	if !o.Valid() {
		errs.Add(FieldOrigin, "must be one of manual, scheduled, bonus")
	}
	return o
}

// ValidateIdempotencyKey checks a key on its own, for requests whose only
// input it is (a retry).
func ValidateIdempotencyKey(key string) FieldErrors {
	errs := FieldErrors{}
	checkIdempotencyKey(errs, key)
	return errs
}

// checkIdempotencyKey allows any printable ASCII: the key is hashed into the
// payout ID, so it never has to fit Heleket's order_id alphabet itself.
func checkIdempotencyKey(errs FieldErrors, key string) {
	switch {
	case key == "":
		errs.Add(FieldIdempotencyKey, "is required")
	case len(key) > maxIdempotencyKeyLen || !printableASCII(key):
		errs.Add(FieldIdempotencyKey, fmt.Sprintf("must be 1-%d printable ASCII characters", maxIdempotencyKeyLen))
	}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

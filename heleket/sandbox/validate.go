package sandbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

// Laravel validator keys, as Heleket returns them.
const (
	vRequired        = "validation.required"
	vRequiredWithout = "validation.required_without"
	vString          = "validation.string"
	vNumeric         = "validation.numeric"
	vBoolean         = "validation.boolean"
	vAlphaDash       = "validation.alpha_dash"
	vMaxString       = "validation.max.string"
	vMinNumeric      = "validation.min.numeric"
	vMaxNumeric      = "validation.max.numeric"
	vIn              = "validation.in"
	vInvalid         = "validation.invalid"
	vURL             = "validation.url"
	vUUID            = "validation.uuid"
	vDateFormat      = "validation.date_format"
)

type fieldErrors map[string][]string

func (e fieldErrors) add(field, key string) { e[field] = append(e[field], key) }

// kind is the JSON type of a request field after Laravel's input
// normalisation (strings trimmed, "" and null treated as absent).
type kind int

const (
	kMissing kind = iota
	kString
	kNumber
	kBool
	kOther
)

// input is a request body as a JSON object. Anything else (empty body, [],
// invalid JSON) reads as an object without fields, as Laravel's input bag does.
type input map[string]json.RawMessage

func parseInput(body []byte) input {
	var in input
	if err := json.Unmarshal(body, &in); err != nil || in == nil {
		return input{}
	}
	return in
}

// get returns a field's kind and its text: the unquoted trimmed string, or
// the raw literal for numbers and booleans.
func (in input) get(field string) (string, kind) {
	raw := bytes.TrimSpace(in[field])
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return "", kMissing
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", kOther
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", kMissing
		}
		return s, kString
	case raw[0] == 't' || raw[0] == 'f':
		return string(raw), kBool
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), kNumber
	}
	return "", kOther
}

// requiredString validates a required string field.
func (in input) requiredString(errs fieldErrors, field string) string {
	s, k := in.get(field)
	switch k {
	case kMissing:
		errs.add(field, vRequired)
	case kString:
		return s
	default:
		errs.add(field, vString)
	}
	return ""
}

// optionalString validates an optional string field.
func (in input) optionalString(errs fieldErrors, field string) string {
	s, k := in.get(field)
	switch k {
	case kMissing:
	case kString:
		return s
	default:
		errs.add(field, vString)
	}
	return ""
}

// amount accepts a decimal string or, leniently, a JSON number; it never
// passes through float64.
func (in input) amount(errs fieldErrors, field string) (decimal.Decimal, bool) {
	s, k := in.get(field)
	switch k {
	case kMissing:
		errs.add(field, vRequired)
		return decimal.Decimal{}, false
	case kString, kNumber:
		d, err := decimal.NewFromString(s)
		if err == nil {
			return d, true
		}
	}
	errs.add(field, vNumeric)
	return decimal.Decimal{}, false
}

// boolean follows Laravel's rule: true, false, 1, 0, "1", "0".
func (in input) boolean(errs fieldErrors, field string) (bool, bool) {
	s, k := in.get(field)
	if k == kMissing {
		errs.add(field, vRequired)
		return false, false
	}
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	errs.add(field, vBoolean)
	return false, false
}

var (
	alphaDash = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func checkMax(errs fieldErrors, field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		errs.add(field, vMaxString)
	}
}

func checkURL(errs fieldErrors, field, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.add(field, vURL)
	}
}

// resolveService applies the currency/network rules: network is required
// when the currency has several, and unknown pairs fail validation.in.
func (in input) resolveService(errs fieldErrors) (service, bool) {
	currency := normCurrency(in.requiredString(errs, "currency"))
	network, k := in.get("network")
	if k != kMissing && k != kString {
		errs.add("network", vString)
		return service{}, false
	}
	if currency == "" {
		return service{}, false
	}
	nets := networksOf(currency)
	network = normNetwork(network)
	switch {
	case len(nets) == 0:
		errs.add("network", vIn)
	case network == "" && len(nets) > 1:
		errs.add("network", vRequired)
	case network == "":
		network = nets[0]
	case !slices.Contains(nets, network):
		errs.add("network", vIn)
	}
	svc, ok := services[serviceKey{currency, network}]
	return svc, ok
}

func checkLimits(errs fieldErrors, svc service, amount decimal.Decimal, isSubtract bool) {
	_, _, payout := svc.split(amount, isSubtract)
	switch {
	case amount.LessThan(svc.min) || !payout.IsPositive():
		errs.add("amount", vMinNumeric)
	case amount.GreaterThan(svc.max):
		errs.add("amount", vMaxNumeric)
	}
}

var priorities = []string{"recommended", "economy", "high", "highest"}

// parseTransfer validates the fields create and calc share. Address is
// required only for create; calc checks its shape when present.
func parseTransfer(in input, errs fieldErrors, addressRequired bool) transfer {
	var t transfer
	amount, amountOK := in.amount(errs, "amount")
	svc, svcOK := in.resolveService(errs)
	if addressRequired {
		t.address = in.requiredString(errs, "address")
	} else {
		t.address = in.optionalString(errs, "address")
	}
	isSubtract, subOK := in.boolean(errs, "is_subtract")
	if p := in.optionalString(errs, "priority"); p != "" && !slices.Contains(priorities, strings.ToLower(p)) {
		errs.add("priority", vIn)
	}
	if svcOK && t.address != "" && !validAddress(svc.network, t.address) {
		errs.add("address", vInvalid)
	}
	if svcOK && amountOK && subOK {
		checkLimits(errs, svc, amount, isSubtract)
	}
	t.svc, t.amount, t.isSubtract = svc, amount, isSubtract
	return t
}

func parseCreate(in input) (transfer, fieldErrors) {
	errs := fieldErrors{}
	t := parseTransfer(in, errs, true)
	t.orderID = in.requiredString(errs, "order_id")
	if t.orderID != "" {
		if !alphaDash.MatchString(t.orderID) {
			errs.add("order_id", vAlphaDash)
		}
		checkMax(errs, "order_id", t.orderID, 100)
	}
	t.urlCallback = in.optionalString(errs, "url_callback")
	if t.urlCallback != "" {
		checkURL(errs, "url_callback", t.urlCallback)
	}
	in.optionalString(errs, "memo")
	return t, errs
}

func parseCalc(in input) (transfer, fieldErrors) {
	errs := fieldErrors{}
	return parseTransfer(in, errs, false), errs
}

type infoQuery struct{ orderID, uuid string }

func parseInfo(in input) (infoQuery, fieldErrors) {
	errs := fieldErrors{}
	q := infoQuery{
		orderID: in.optionalString(errs, "order_id"),
		uuid:    in.optionalString(errs, "uuid"),
	}
	if q.orderID == "" && q.uuid == "" && len(errs) == 0 {
		errs.add("uuid", vRequiredWithout)
		errs.add("order_id", vRequiredWithout)
	}
	checkMax(errs, "order_id", q.orderID, 32)
	if q.uuid != "" && !uuidShape.MatchString(q.uuid) {
		errs.add("uuid", vUUID)
	}
	return q, errs
}

func parseList(in input, rawCursor string) (listQuery, fieldErrors) {
	errs := fieldErrors{}
	q := listQuery{
		from: listDate(in, errs, "date_from", false),
		to:   listDate(in, errs, "date_to", true),
	}
	c, err := decodeCursor(rawCursor)
	if err != nil {
		errs.add("cursor", vInvalid)
	}
	q.cursor = c
	return q, errs
}

func listDate(in input, errs fieldErrors, field string, endOfSecond bool) time.Time {
	s := in.optionalString(errs, field)
	if s == "" {
		return time.Time{}
	}
	t, ok := parseListDate(s, endOfSecond)
	if !ok {
		errs.add(field, vDateFormat)
	}
	return t
}

type testWebhookQuery struct {
	url    string
	fields webhookFields
}

func parseTestWebhook(in input) (testWebhookQuery, fieldErrors) {
	errs := fieldErrors{}
	q := testWebhookQuery{url: in.requiredString(errs, "url_callback")}
	if q.url != "" {
		checkURL(errs, "url_callback", q.url)
	}
	f := &q.fields
	f.currency = normCurrency(in.requiredString(errs, "currency"))
	f.network = normNetwork(in.requiredString(errs, "network"))
	f.uuid = in.optionalString(errs, "uuid")
	if f.uuid != "" && !uuidShape.MatchString(f.uuid) {
		errs.add("uuid", vUUID)
	}
	f.orderID = in.optionalString(errs, "order_id")
	f.status = heleket.NormalizeStatus(in.optionalString(errs, "status"))
	if f.status == "" {
		f.status = heleket.StatusPaid
	} else if !knownStatus(f.status) {
		errs.add("status", vIn)
	}
	return q, errs
}

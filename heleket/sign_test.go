package heleket_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// The expected signatures below were computed with shell tools, not with this
// package; the commands are next to each vector.

const requestKey = "test-payout-api-key-0001"

// key='test-payout-api-key-0001'
// json='{"amount":"100.50","currency":"USDT","order_id":"ord-1001","address":"TXYZ1234567890abcdefghijklmnopqrs","is_subtract":true,"network":"tron"}'
// b64=$(printf '%s' "$json" | base64 -w0)
// printf '%s%s' "$b64" "$key" | md5sum   # ab005c9150e8d8bbb574d75d2daae9a6
const (
	requestBody = `{"amount":"100.50","currency":"USDT","order_id":"ord-1001","address":"TXYZ1234567890abcdefghijklmnopqrs","is_subtract":true,"network":"tron"}`
	requestSign = "ab005c9150e8d8bbb574d75d2daae9a6"
)

func TestSignRequestBody(t *testing.T) {
	assert.Equal(t, requestSign, heleket.Sign([]byte(requestBody), requestKey))
}

func TestSignEmptyBodyIsMD5OfKey(t *testing.T) {
	// printf '%s' 'test-payout-api-key-0001' | md5sum   # aa9374b789448d12b75bcbf7413e6e72
	// (base64 of the empty body is the empty string, so only the key is hashed.)
	const want = "aa9374b789448d12b75bcbf7413e6e72"
	assert.Equal(t, want, heleket.Sign(nil, requestKey))
	assert.Equal(t, want, heleket.Sign([]byte{}, requestKey))
}

func TestSignDependsOnEveryByte(t *testing.T) {
	// A trailing newline (what json.Encoder would add) changes the signature,
	// which is why the client signs the exact bytes it sends.
	assert.NotEqual(t, requestSign, heleket.Sign([]byte(requestBody+"\n"), requestKey))
	assert.NotEqual(t, requestSign, heleket.Sign([]byte(requestBody), requestKey+"x"))
}

func TestCreatePayoutRequestMarshalsToVectorBody(t *testing.T) {
	// Ties the vector to the wire type: the client marshals this struct and
	// signs the result, so the struct's field order and tags are what produce
	// the signed bytes above.
	body, err := json.Marshal(heleket.CreatePayoutRequest{
		Amount:     "100.50",
		Currency:   "USDT",
		OrderID:    "ord-1001",
		Address:    "TXYZ1234567890abcdefghijklmnopqrs",
		IsSubtract: true,
		Network:    "tron",
	})
	require.NoError(t, err)
	assert.Equal(t, requestBody, string(body))
	assert.Equal(t, requestSign, heleket.Sign(body, requestKey))
}

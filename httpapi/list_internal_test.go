package httpapi

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/store"
)

func TestCursorRoundTripsToTheMicrosecond(t *testing.T) {
	key := store.PageKey{CreatedAt: time.Date(2026, 11, 28, 9, 24, 1, 123456000, time.UTC), ID: "poAbc-_9"}
	got, ok := decodeCursor(encodeCursor(key))
	assert.True(t, ok)
	assert.Equal(t, key, got)
}

func TestCursorRefusesWhatNoPageGave(t *testing.T) {
	raw := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{"", "!!", raw([]byte("123")), raw([]byte("abc.po1")), raw([]byte("123.")),
		raw([]byte("123." + "po0123456789012345678901234567890123"))} {
		_, ok := decodeCursor(c)
		assert.False(t, ok, "%q", c)
	}
}

package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/codec"
)

func TestOpsDefaultsAndCodec(t *testing.T) {
	c := Config{TemporalUIAddr: "127.0.0.1:8233"}
	assert.Equal(t, "http://127.0.0.1:8233", c.UIURL())
	assert.Equal(t, []string{"http://127.0.0.1:8233", "http://localhost:8233"}, c.CodecOrigins())
	off, err := c.Codec()
	require.NoError(t, err)
	assert.Nil(t, off, "no PAYLOAD_KEYS: codec off")

	key, err := codec.GenerateKey("k1")
	require.NoError(t, err)
	c.PayloadKeys, c.TemporalUIURL = key, "https://temporal.example.com/"
	on, err := c.Codec()
	require.NoError(t, err)
	assert.Equal(t, "k1", on.ActiveKeyID())
	assert.Equal(t, "https://temporal.example.com", c.UIURL())
	assert.Equal(t, []string{"https://temporal.example.com"}, c.CodecOrigins())
	c.CodecCORSOrigins = "http://a:1, http://b:2/"
	assert.Equal(t, []string{"http://a:1", "http://b:2"}, c.CodecOrigins())
	require.NoError(t, c.checkOps())

	c.PayloadKeyID = "missing"
	assert.ErrorContains(t, c.checkOps(), "PAYLOAD_KEY_ID")
	assert.ErrorContains(t, Config{PayloadKeyID: "k"}.checkOps(), "PAYLOAD_KEYS is empty")
	assert.ErrorContains(t, Config{CodecToken: "short"}.checkOps(), "CODEC_TOKEN")
	assert.ErrorContains(t, Config{TemporalUIURL: "not a url"}.checkOps(), "TEMPORAL_UI_URL")
}

func TestSecretsListsEveryCredential(t *testing.T) {
	key, err := codec.GenerateKey("k1")
	require.NoError(t, err)
	c := Config{
		HeleketAPIKey: "api-key-0123456789", HeleketWebhookSecret: "relay-secret-0123", CodecToken: "codec-token-0123456789",
		AdminTokens: "alice:alice-token-0123456789", PayloadKeys: key,
		DatabaseURL: "postgres://app:db-password-123@db:5432/payouts",
	}
	s := c.Secrets()
	for _, want := range []string{"api-key-0123456789", "relay-secret-0123", "codec-token-0123456789", "alice-token-0123456789", key[3:], "db-password-123"} {
		assert.Contains(t, s, want)
	}
}

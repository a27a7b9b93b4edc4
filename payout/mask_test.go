package payout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaskAnswer(t *testing.T) {
	got := MaskAnswer([]byte(`{"state":0,"result":{"uuid":"u1","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW","balance":{"x":1}}}`))
	assert.Equal(t, map[string]any{"state": float64(0), "result": map[string]any{"uuid": "u1",
		"address": "TQrZ…AbpW", "balance": map[string]any{"x": float64(1)}}}, got)

	text := MaskAnswer([]byte("<html>oops TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW</html>"))
	assert.Equal(t, map[string]any{"text": "<html>oops [masked]</html>"}, text)
}

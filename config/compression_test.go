package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

func TestGrpcCompression(t *testing.T) {
	for value, want := range map[string]client.GrpcCompression{
		"":     &client.GrpcCompressionNone{},
		"none": &client.GrpcCompressionNone{},
		"gzip": &client.GrpcCompressionGzip{},
	} {
		got, err := Config{TemporalCompression: value}.GrpcCompression()
		require.NoError(t, err, value)
		assert.IsType(t, want, got, value)
	}
	_, err := Config{TemporalCompression: "zstd"}.GrpcCompression()
	assert.ErrorContains(t, err, "TEMPORAL_GRPC_COMPRESSION")
}

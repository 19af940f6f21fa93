package app

import "github.com/drover/drover/internal/config"

// FromSettings is the chain configuration drover's resolved settings
// describe, for a server process with the given PID and generation.
func FromSettings(s config.Config, pid, generation int) Config {
	return Config{
		LimitRequestLine:      s.Limits.RequestLine,
		LimitRequestFields:    s.Limits.RequestFields,
		LimitRequestFieldSize: s.Limits.RequestFieldSize,
		LimitRequestBody:      s.Limits.RequestBody,
		ForwardedAllowIPs:     s.Proxy.ForwardedAllowIPs,
		TrustAllProxies:       s.Proxy.TrustAll,
		AccessLogFormat:       s.Log.AccessLogFormat,
		WorkerPID:             pid,
		Generation:            generation,
	}
}

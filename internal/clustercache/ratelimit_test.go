package clustercache

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// TestSetRateLimit: no client-side limit unless a RemoteCluster asks for one (issue 15); burst
// defaults to twice qps.
func TestSetRateLimit(t *testing.T) {
	for _, c := range []struct {
		qps, burst  int32
		wantQPS     float32
		wantBurst   int
		wantLimiter bool
	}{
		{0, 0, -1, 0, false},
		{0, 50, -1, 0, false},
		{7, 9, 7, 9, true},
		{7, 0, 7, 14, true},
	} {
		cfg := &rest.Config{QPS: 5, Burst: 10}
		SetRateLimit(cfg, c.qps, c.burst)
		if cfg.QPS != c.wantQPS || cfg.Burst != c.wantBurst || (cfg.RateLimiter != nil) != c.wantLimiter {
			t.Errorf("qps %d burst %d: got QPS %v Burst %d limiter %v", c.qps, c.burst, cfg.QPS, cfg.Burst, cfg.RateLimiter != nil)
		}
	}
	// client-go takes a negative QPS as "no limiter" (rest.RESTClientFor).
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	SetRateLimit(cfg, 0, 0)
	rc, err := rest.RESTClientFor(&rest.Config{Host: cfg.Host, QPS: cfg.QPS, ContentConfig: rest.ContentConfig{
		GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: scheme.Codecs.WithoutConversion()}})
	if err != nil {
		t.Fatal(err)
	}
	if rc.GetRateLimiter() != nil {
		t.Fatal("a client built with no qps has a rate limiter")
	}
}

// Package cluster holds Handle, the set of clients dr-syncer uses to talk to one cluster, shared by
// the controllers, the remote-cluster cache, the sync engine and the CLI.
package cluster

import (
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Handle bundles the clients for one cluster. All share one HTTP client (one connection pool and
// one rate limiter, from Config.QPS/Burst).
type Handle struct {
	// Name identifies the cluster in logs, metrics and annotations.
	Name string
	// Config is the rest.Config the clients were built from.
	Config *rest.Config
	// Client is an uncached controller-runtime client.
	Client client.Client
	// Dynamic serves unstructured reads and writes of any type.
	Dynamic dynamic.Interface
	// Metadata serves metadata-only reads and watches (small informer caches).
	Metadata metadata.Interface
	// Discovery is memory-cached; call Invalidate to see newly installed types.
	Discovery discovery.CachedDiscoveryInterface
	// Mapper resolves kinds to resources through Discovery.
	Mapper meta.ResettableRESTMapper
	// HTTPClient is shared by all of the above.
	HTTPClient *http.Client
}

// New builds a Handle. cfg is copied; its QPS and Burst apply to every client of the handle.
func New(name string, cfg *rest.Config) (*Handle, error) {
	cfg = rest.CopyConfig(cfg)
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: discovery: %w", name, err)
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	dyn, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: dynamic client: %w", name, err)
	}
	md, err := metadata.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: metadata client: %w", name, err)
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Mapper: mapper, Scheme: Scheme})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: client: %w", name, err)
	}
	return &Handle{Name: name, Config: cfg, Client: c, Dynamic: dyn, Metadata: md, Discovery: cached, Mapper: mapper, HTTPClient: httpClient}, nil
}

// Invalidate drops cached discovery, so types installed since are seen.
func (h *Handle) Invalidate() {
	h.Discovery.Invalidate()
	h.Mapper.Reset()
}

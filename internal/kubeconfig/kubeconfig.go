// Package kubeconfig turns kubeconfig bytes from a Secret (untrusted input) into a rest.Config,
// refusing every feature that would read local files, run programs or weaken TLS.
package kubeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Policy relaxes the checks of Load. The zero value is the strict default.
type Policy struct {
	// AllowExec accepts exec plugins and auth-provider users (they run programs or call out
	// to identity providers named by the Secret's author).
	AllowExec bool
	// AllowInsecureTLS accepts insecure-skip-tls-verify.
	AllowInsecureTLS bool
}

// RejectedError reports a kubeconfig feature the policy refuses.
type RejectedError struct {
	// Field locates the feature, e.g. "users[prod-admin].exec".
	Field string
	// Reason says why it is refused and what to do instead.
	Reason string
}

func (e *RejectedError) Error() string { return e.Field + ": " + e.Reason }

// InvalidError reports a kubeconfig that cannot be used at all: empty, unparsable, or missing a
// part the selected context needs.
type InvalidError struct {
	// Message describes the problem; it never contains credential values.
	Message string
}

func (e *InvalidError) Error() string { return e.Message }

// IsRejected tells whether err is (or wraps) a *RejectedError.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}

// IsInvalid tells whether err is (or wraps) an *InvalidError.
func IsInvalid(err error) bool {
	var i *InvalidError
	return errors.As(err, &i)
}

// Load parses data, selects context (empty means the current-context), checks the selected
// cluster and user against p and returns a rest.Config for them. Only the selected context's
// entries are checked: the others are never used. Client-side rate limits, timeout and user agent
// are left for the caller to set.
func Load(data []byte, context string, p Policy) (*rest.Config, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &InvalidError{Message: "kubeconfig is empty"}
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, &InvalidError{Message: "kubeconfig cannot be parsed: " + redact(err.Error())}
	}

	name := context
	if name == "" {
		name = cfg.CurrentContext
		if name == "" {
			return nil, &InvalidError{Message: "kubeconfig has no current-context: set spec.context to one of " + names(cfg.Contexts)}
		}
	}
	ctx, ok := cfg.Contexts[name]
	if !ok || ctx == nil {
		return nil, &InvalidError{Message: fmt.Sprintf("kubeconfig has no context %q; available contexts: %s", name, names(cfg.Contexts))}
	}
	if ctx.Cluster == "" {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s] names no cluster", name)}
	}
	cl, ok := cfg.Clusters[ctx.Cluster]
	if !ok || cl == nil {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s] refers to cluster %q, which the kubeconfig does not define", name, ctx.Cluster)}
	}
	if ctx.AuthInfo == "" {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s] names no user", name)}
	}
	user, ok := cfg.AuthInfos[ctx.AuthInfo]
	if !ok || user == nil {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s] refers to user %q, which the kubeconfig does not define", name, ctx.AuthInfo)}
	}
	if err := checkCluster(ctx.Cluster, cl, p); err != nil {
		return nil, err
	}
	if err := checkUser(ctx.AuthInfo, user, p); err != nil {
		return nil, err
	}

	// Build from a config holding only the selected entries, so nothing else is even looked at.
	only := clientcmdapi.NewConfig()
	only.Clusters[ctx.Cluster] = cl
	only.AuthInfos[ctx.AuthInfo] = user
	only.Contexts[name] = ctx
	only.CurrentContext = name
	rc, err := clientcmd.NewNonInteractiveClientConfig(*only, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s]: %s", name, redact(err.Error()))}
	}
	// Parse certificates and keys now, so a broken PEM block is reported as such and not as an
	// unreachable cluster later.
	if _, err := rest.TLSConfigFor(rc); err != nil {
		return nil, &InvalidError{Message: fmt.Sprintf("contexts[%s]: TLS settings unusable: %s", name, redact(err.Error()))}
	}
	return rc, nil
}

func checkCluster(name string, c *clientcmdapi.Cluster, p Policy) error {
	field := "clusters[" + name + "]"
	if c.Server == "" {
		return &InvalidError{Message: field + ".server is empty"}
	}
	u, err := url.Parse(c.Server)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return &InvalidError{Message: field + ".server is not an http(s) URL with a host"}
	}
	if u.Scheme == "http" && !p.AllowInsecureTLS {
		return &RejectedError{Field: field + ".server", Reason: "plain http would send credentials unencrypted: use https (or start the controller with --allow-insecure-tls)"}
	}
	if u.User != nil {
		return &RejectedError{Field: field + ".server", Reason: "credentials in the server URL are not allowed (put a token or client certificate in the user entry)"}
	}
	if c.CertificateAuthority != "" {
		return &RejectedError{Field: field + ".certificate-authority", Reason: fileReason("certificate-authority-data")}
	}
	if c.InsecureSkipTLSVerify && !p.AllowInsecureTLS {
		return &RejectedError{Field: field + ".insecure-skip-tls-verify", Reason: "disabling TLS verification is not allowed: set certificate-authority-data (or start the controller with --allow-insecure-tls)"}
	}
	return nil
}

func checkUser(name string, u *clientcmdapi.AuthInfo, p Policy) error {
	field := "users[" + name + "]"
	switch {
	case u.Exec != nil && !p.AllowExec:
		return &RejectedError{Field: field + ".exec", Reason: "exec plugins are not allowed (start the controller with --allow-kubeconfig-exec to allow them)"}
	case u.AuthProvider != nil && !p.AllowExec:
		return &RejectedError{Field: field + ".auth-provider", Reason: "auth-provider plugins are not allowed (start the controller with --allow-kubeconfig-exec to allow them)"}
	case u.ClientCertificate != "":
		return &RejectedError{Field: field + ".client-certificate", Reason: fileReason("client-certificate-data")}
	case u.ClientKey != "":
		return &RejectedError{Field: field + ".client-key", Reason: fileReason("client-key-data")}
	case u.TokenFile != "":
		return &RejectedError{Field: field + ".tokenFile", Reason: fileReason("token")}
	case u.Username != "" || u.Password != "":
		return &RejectedError{Field: field + ".username/password", Reason: "basic authentication is not allowed: use a token or a client certificate"}
	}
	return nil
}

func fileReason(inline string) string {
	return "file paths are not allowed in a kubeconfig Secret (the controller's file system is not yours to read): inline the content as " + inline
}

func names[V any](m map[string]V) string {
	if len(m) == 0 {
		return "(none)"
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// quoted matches the value excerpts the YAML decoder puts into its errors
// (cannot unmarshal !!str `abcdefg...`), which may be part of a credential.
var quoted = regexp.MustCompile("`[^`]*`")

func redact(msg string) string { return quoted.ReplaceAllString(msg, "<redacted>") }

package integration

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/testbed"
)

// otherNamespace is not served by the controller.
const otherNamespace = "elsewhere"

const (
	waitTimeout = 30 * time.Second
	poll        = 100 * time.Millisecond
	// badToken is refused by every control plane; it must never show up in a status or event.
	badToken = "dr-syncer-test-bogus-token-0123456789abcdef"
)

// kubeconfigFor returns plane's kubeconfig (inline credentials) after mutate changed its cluster
// and user entries.
func kubeconfigFor(t *testing.T, plane *testbed.Cluster, mutate func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(plane.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if mutate != nil {
		mutate(cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo])
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// serverOf is the server URL in plane's kubeconfig.
func serverOf(t *testing.T, plane *testbed.Cluster) string {
	t.Helper()
	cfg, err := clientcmd.Load(plane.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster].Server
}

// secretMaterial lists credential strings that must never appear in a message: both control
// planes' client keys (PEM and base64) and badToken.
func secretMaterial(t *testing.T) []string {
	t.Helper()
	out := []string{badToken}
	for _, p := range []*testbed.Cluster{planeA, planeB} {
		cfg, err := clientcmd.Load(p.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range cfg.AuthInfos {
			if len(u.ClientKeyData) > 0 {
				pem := string(u.ClientKeyData)
				// A line from the middle of the PEM body, and the start of the base64 form.
				lines := strings.Split(strings.TrimSpace(pem), "\n")
				out = append(out, lines[len(lines)/2], base64.StdEncoding.EncodeToString(u.ClientKeyData)[:48])
			}
			if u.Token != "" {
				out = append(out, u.Token)
			}
		}
	}
	return out
}

func createSecret(t *testing.T, ns, name string, data map[string][]byte) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.IgnoreNotFound(k8s.Delete(context.Background(), s)) })
	return s
}

func createRemoteCluster(t *testing.T, ns, name, secret string, mutate ...func(*drv1.RemoteCluster)) *drv1.RemoteCluster {
	t.Helper()
	rc := &drv1.RemoteCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.RemoteClusterSpec{KubeconfigSecretRef: drv1.SecretKeyReference{Name: secret}},
	}
	for _, m := range mutate {
		m(rc)
	}
	if err := k8s.Create(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.IgnoreNotFound(k8s.Delete(context.Background(), rc)) })
	return rc
}

// eventuallyReady waits until the Ready condition of RemoteCluster name (in the served
// namespace) has status and reason, and returns the object.
func eventuallyReady(t *testing.T, name string, status metav1.ConditionStatus, reason string) *drv1.RemoteCluster {
	t.Helper()
	rc := &drv1.RemoteCluster{}
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: controllerNamespace, Name: name}, rc)).To(Succeed())
		c := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
		g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(c.Status).To(Equal(status), "Ready message: %s", c.Message)
		g.Expect(c.Reason).To(Equal(reason), "Ready message: %s", c.Message)
	}).WithTimeout(waitTimeout).WithPolling(poll).Should(Succeed())
	return rc
}

func assertNoCredentials(t *testing.T, msg string) {
	t.Helper()
	for _, s := range secretMaterial(t) {
		if strings.Contains(msg, s) {
			t.Errorf("message contains credential material: %q", msg)
		}
	}
}

func TestRemoteClusterConnected(t *testing.T) {
	t.Parallel()
	name := uniqueName("connected")
	createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	createRemoteCluster(t, controllerNamespace, name, name)

	rc := eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)
	g := NewWithT(t)
	g.Expect(rc.Status.ServerVersion).To(Equal("v1.37.2"))
	g.Expect(rc.Status.LastProbeTime).NotTo(BeNil())
	g.Expect(rc.Status.ObservedGeneration).To(Equal(rc.Generation))
	g.Expect(meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionStalled)).To(BeNil())
	ready := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
	g.Expect(ready.Message).To(ContainSubstring("Connected to " + serverOf(t, planeB) + " "))
	assertNoCredentials(t, ready.Message)

	g.Eventually(func() []float64 {
		var v []float64
		for _, m := range series("drsyncer_remotecluster_ready", name) {
			v = append(v, m.GetGauge().GetValue())
		}
		return v
	}).WithTimeout(waitTimeout).WithPolling(poll).Should(Equal([]float64{1}))
	g.Expect(series("drsyncer_remotecluster_probe_duration_seconds", name)).To(HaveLen(1))
}

// kubeconfigCase is a RemoteCluster whose kubeconfig Secret is wrong: the message is its Ready
// condition's, with the server address shown as https://<server> and the Secret as
// <namespace>/<secret>.
type kubeconfigCase struct {
	name, input string
	secretData  map[string][]byte // nil: no Secret at all
	key         string
	reason      string
	stalled     bool
	message     string
}

// kubeconfigInputs describe the cases for the catalog.
var kubeconfigInputs = map[string]string{
	"missing-secret":             "no Secret",
	"missing-key":                "Secret without key `kubeconfig`",
	"custom-key-missing":         "`kubeconfigSecretRef.key: value`, no such key",
	"garbage":                    "kubeconfig that is not YAML",
	"empty":                      "empty kubeconfig",
	"exec":                       "kubeconfig user with an exec plugin",
	"auth-provider":              "kubeconfig user with an auth-provider",
	"certificate-authority-path": "kubeconfig naming a CA file",
	"client-certificate-path":    "kubeconfig naming a client certificate file",
	"client-key-path":            "kubeconfig naming a client key file",
	"token-file":                 "kubeconfig naming a token file",
	"insecure-skip-tls-verify":   "kubeconfig with insecure-skip-tls-verify",
	"basic-auth":                 "kubeconfig with a username and password",
	"unreachable":                "kubeconfig whose server does not answer",
	"unauthorized":               "kubeconfig with a token the server refuses",
}

func kubeconfigCases(t *testing.T) []kubeconfigCase {
	cases := []kubeconfigCase{
		{name: "missing-secret", reason: drv1.ReasonSecretNotFound, stalled: true, message: "Secret <namespace>/<secret> not found: create it with a kubeconfig under key \"kubeconfig\""},
		{name: "missing-key", secretData: map[string][]byte{"config": planeB.Kubeconfig, "token": []byte(badToken)}, reason: drv1.ReasonKeyNotFound, stalled: true,
			message: "Secret <namespace>/<secret> has no key \"kubeconfig\" (it has config, token): add the key or set spec.kubeconfigSecretRef.key"},
		{name: "custom-key-missing", secretData: map[string][]byte{"kubeconfig": planeB.Kubeconfig}, key: "value", reason: drv1.ReasonKeyNotFound, stalled: true,
			message: "Secret <namespace>/<secret> has no key \"value\" (it has kubeconfig): add the key or set spec.kubeconfigSecretRef.key"},
		{name: "garbage", secretData: map[string][]byte{"kubeconfig": []byte("{{ not: [a kubeconfig")}, reason: drv1.ReasonInvalidKubeconfig, stalled: true,
			message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): kubeconfig cannot be parsed: yaml: line 1: did not find expected ',' or ']'"},
		{name: "empty", secretData: map[string][]byte{"kubeconfig": {}}, reason: drv1.ReasonInvalidKubeconfig, stalled: true,
			message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): kubeconfig is empty"},
		{name: "exec", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.Exec = &clientcmdapi.ExecConfig{Command: "sh", Args: []string{"-c", "echo pwned"}, APIVersion: "client.authentication.k8s.io/v1"}
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].exec: exec plugins are not allowed (start the controller with --allow-kubeconfig-exec to allow them)"},
		{name: "auth-provider", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.AuthProvider = &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": badToken}}
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].auth-provider: auth-provider plugins are not allowed (start the controller with --allow-kubeconfig-exec to allow them)"},
		{name: "certificate-authority-path", secretData: kc(t, func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
			c.CertificateAuthorityData, c.CertificateAuthority = nil, "/etc/kubernetes/pki/ca.crt"
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): clusters[envtest].certificate-authority: file paths are not allowed in a kubeconfig Secret (the controller's file system is not yours to read): inline the content as certificate-authority-data"},
		{name: "client-certificate-path", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.ClientCertificateData, u.ClientCertificate = nil, "/etc/kubernetes/pki/admin.crt"
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].client-certificate: file paths are not allowed in a kubeconfig Secret (the controller's file system is not yours to read): inline the content as client-certificate-data"},
		{name: "client-key-path", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.ClientKeyData, u.ClientKey = nil, "/etc/kubernetes/pki/admin.key"
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].client-key: file paths are not allowed in a kubeconfig Secret (the controller's file system is not yours to read): inline the content as client-key-data"},
		{name: "token-file", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			*u = clientcmdapi.AuthInfo{TokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token"}
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].tokenFile: file paths are not allowed in a kubeconfig Secret (the controller's file system is not yours to read): inline the content as token"},
		{name: "insecure-skip-tls-verify", secretData: kc(t, func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
			c.CertificateAuthorityData, c.InsecureSkipTLSVerify = nil, true
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): clusters[envtest].insecure-skip-tls-verify: disabling TLS verification is not allowed: set certificate-authority-data (or start the controller with --allow-insecure-tls)"},
		{name: "basic-auth", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			*u = clientcmdapi.AuthInfo{Username: "admin", Password: badToken}
		}), reason: drv1.ReasonKubeconfigRejected, stalled: true, message: "kubeconfig in Secret <namespace>/<secret> (key kubeconfig): users[envtest].username/password: basic authentication is not allowed: use a token or a client certificate"},
		{name: "unreachable", secretData: kc(t, func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
			c.Server = "https://127.0.0.1:1"
		}), reason: drv1.ReasonUnreachable, message: "cannot reach https://127.0.0.1:1: GET /version: Get \"https://127.0.0.1:1/version?timeout=30s\": dial tcp 127.0.0.1:1: connect: connection refused"},
		{name: "unauthorized", secretData: kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			*u = clientcmdapi.AuthInfo{Token: badToken}
		}), reason: drv1.ReasonUnauthorized, message: "https://<server> refused the credentials (HTTP 401): the token or client certificate in Secret <namespace>/<secret> (key kubeconfig) is wrong or expired; update the Secret"},
	}
	for i := range cases {
		cases[i].input = kubeconfigInputs[cases[i].name]
	}
	return cases
}

// serverAddr is the address of a test bed API server (not the unreachable https://127.0.0.1:1).
var serverAddr = regexp.MustCompile(`https://127\.0\.0\.1:[0-9]{2,}`)

// normalizeRC replaces what changes from run to run in a RemoteCluster message.
func normalizeRC(msg, secret string) string {
	msg = serverAddr.ReplaceAllString(msg, "https://<server>")
	return strings.ReplaceAll(msg, controllerNamespace+"/"+secret, "<namespace>/<secret>")
}

func TestRemoteClusterNotReady(t *testing.T) {
	t.Parallel()
	tests := kubeconfigCases(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := uniqueName(tt.name)
			if tt.secretData != nil {
				createSecret(t, controllerNamespace, name, tt.secretData)
			}
			createRemoteCluster(t, controllerNamespace, name, name, func(rc *drv1.RemoteCluster) {
				rc.Spec.KubeconfigSecretRef.Key = tt.key
			})
			rc := eventuallyReady(t, name, metav1.ConditionFalse, tt.reason)
			ready := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
			g := NewWithT(t)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			t.Logf("CATALOG %q %q", tt.name, normalizeRC(ready.Message, name))
			g.Expect(normalizeRC(ready.Message, name)).To(Equal(tt.message))
			assertNoCredentials(t, ready.Message)
			g.Expect(rc.Status.ServerVersion).To(BeEmpty())
			g.Expect(rc.Status.LastProbeTime).NotTo(BeNil())
			stalled := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionStalled)
			if tt.stalled {
				g.Expect(stalled).NotTo(BeNil())
				g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
				g.Expect(stalled.Reason).To(Equal(tt.reason))
				g.Expect(rc.Status.ObservedGeneration).To(Equal(rc.Generation))
			} else {
				g.Expect(stalled).To(BeNil())
			}
			for _, m := range series("drsyncer_remotecluster_ready", name) {
				g.Expect(m.GetGauge().GetValue()).To(BeZero())
			}
			for _, e := range eventsFor(t, name) {
				assertNoCredentials(t, e.Note)
			}
		})
	}
}

// kc is control plane b's kubeconfig changed by mutate.
func kc(t *testing.T, mutate func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) map[string][]byte {
	return map[string][]byte{"kubeconfig": kubeconfigFor(t, planeB, mutate)}
}

// A Secret created after its RemoteCluster is picked up through the Secret watch.
func TestRemoteClusterSecretCreatedLater(t *testing.T) {
	t.Parallel()
	name := uniqueName("late-secret")
	createRemoteCluster(t, controllerNamespace, name, name, func(rc *drv1.RemoteCluster) {
		rc.Spec.HealthCheckInterval = &metav1.Duration{Duration: 10 * time.Minute}
	})
	eventuallyReady(t, name, metav1.ConditionFalse, drv1.ReasonSecretNotFound)
	createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	rc := eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)
	NewWithT(t).Expect(meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionStalled)).To(BeNil())
}

// Pointing the Secret at another control plane switches the cluster's connection within one
// probe interval.
func TestRemoteClusterCredentialRotation(t *testing.T) {
	t.Parallel()
	name := uniqueName("rotation")
	secret := createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	interval := 10 * time.Second
	createRemoteCluster(t, controllerNamespace, name, name, func(rc *drv1.RemoteCluster) {
		rc.Spec.HealthCheckInterval = &metav1.Duration{Duration: interval}
	})
	rc := eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)
	g := NewWithT(t)
	g.Expect(meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady).Message).To(ContainSubstring("Connected to " + serverOf(t, planeB) + " "))

	secret.Data = map[string][]byte{"kubeconfig": planeA.Kubeconfig}
	g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(rc), rc)).To(Succeed())
		ready := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(ready.Message).To(ContainSubstring("Connected to " + serverOf(t, planeA) + " "))
	}).WithTimeout(interval).WithPolling(poll).Should(Succeed())

	// Broken credentials are noticed just as fast, and reported as a transition.
	secret.Data = kc(t, func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) { *u = clientcmdapi.AuthInfo{Token: badToken} })
	g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
	eventuallyReady(t, name, metav1.ConditionFalse, drv1.ReasonUnauthorized)
	g.Eventually(func() []string { return eventReasons(t, name) }).WithTimeout(waitTimeout).WithPolling(poll).
		Should(ContainElement("ConnectionLost"))
}

// Events are emitted on Ready transitions only, not on every probe.
func TestRemoteClusterEventsOnTransitionsOnly(t *testing.T) {
	t.Parallel()
	name := uniqueName("events")
	secret := createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	createRemoteCluster(t, controllerNamespace, name, name)
	rc := eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)
	g := NewWithT(t)
	g.Eventually(func() []string { return eventReasons(t, name) }).WithTimeout(waitTimeout).WithPolling(poll).
		Should(Equal([]string{drv1.ReasonConnected}))

	// Touching the Secret triggers another probe; Ready stays the same, so no new event.
	// lastProbeTime has a resolution of one second: touch until it moves.
	first := rc.Status.LastProbeTime
	touches := 0
	g.Eventually(func(g Gomega) {
		touches++
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(secret), secret)).To(Succeed())
		secret.Annotations = map[string]string{"touched": fmt.Sprint(touches)}
		g.Expect(k8s.Update(context.Background(), secret)).To(Succeed())
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(rc), rc)).To(Succeed())
		g.Expect(rc.Status.LastProbeTime.Equal(first)).To(BeFalse())
	}).WithTimeout(waitTimeout).WithPolling(time.Second).Should(Succeed())
	g.Consistently(func() []string { return eventReasons(t, name) }).WithTimeout(2 * time.Second).WithPolling(200 * time.Millisecond).
		Should(Equal([]string{drv1.ReasonConnected}))
}

func eventsFor(t *testing.T, name string) []eventsv1.Event {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(controllerNamespace)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "RemoteCluster" && e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func eventReasons(t *testing.T, name string) []string {
	var out []string
	for _, e := range eventsFor(t, name) {
		for range max(e.DeprecatedCount, 1) {
			out = append(out, e.Reason)
		}
		if e.Series != nil {
			for range e.Series.Count - 1 {
				out = append(out, e.Reason)
			}
		}
	}
	return out
}

// RemoteClusters outside the served namespace get no status at all.
func TestRemoteClusterOtherNamespaceIgnored(t *testing.T) {
	t.Parallel()
	name := uniqueName("ignored")
	createSecret(t, otherNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	ignored := createRemoteCluster(t, otherNamespace, name, name)
	// The same object in the served namespace is handled: the controller is running.
	createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	createRemoteCluster(t, controllerNamespace, name, name)
	eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)

	NewWithT(t).Consistently(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(ignored), ignored)).To(Succeed())
		g.Expect(ignored.Status).To(Equal(drv1.RemoteClusterStatus{}))
	}).WithTimeout(3 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
}

// Deleting a RemoteCluster removes its metrics series.
func TestRemoteClusterDeletionForgetsMetrics(t *testing.T) {
	t.Parallel()
	name := uniqueName("deleted")
	createSecret(t, controllerNamespace, name, map[string][]byte{"kubeconfig": planeB.Kubeconfig})
	rc := createRemoteCluster(t, controllerNamespace, name, name)
	eventuallyReady(t, name, metav1.ConditionTrue, drv1.ReasonConnected)
	g := NewWithT(t)
	g.Eventually(func() int { return len(series("drsyncer_remotecluster_ready", name)) }).
		WithTimeout(waitTimeout).WithPolling(poll).Should(Equal(1))

	g.Expect(k8s.Delete(context.Background(), rc)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKeyFromObject(rc), &drv1.RemoteCluster{}))
	}).WithTimeout(waitTimeout).WithPolling(poll).Should(BeTrue())
	g.Eventually(func() int {
		return len(series("drsyncer_remotecluster_ready", name)) + len(series("drsyncer_remotecluster_probe_duration_seconds", name))
	}).WithTimeout(waitTimeout).WithPolling(poll).Should(BeZero())
}

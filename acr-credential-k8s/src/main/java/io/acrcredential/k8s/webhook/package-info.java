/**
 * The Pod mutating admission webhook that adds the managed pull Secrets to new Pods ({@link
 * io.acrcredential.k8s.webhook.PodPullSecretWebhook}, answering from any {@link
 * io.acrcredential.k8s.webhook.PullSecretNames} source) and the keeper of its
 * MutatingWebhookConfiguration ({@link io.acrcredential.k8s.webhook.WebhookRegistration}).
 */
package io.acrcredential.k8s.webhook;

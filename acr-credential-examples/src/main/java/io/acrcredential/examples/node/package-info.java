/**
 * The short-lived helpers that run on a node or a workstation: {@code token}, the kubelet image
 * credential provider and the Docker credential helper, with their per-user disk cache of tokens
 * and the careful file writes they need (only regular files the user owns, replaced atomically).
 */
package io.acrcredential.examples.node;

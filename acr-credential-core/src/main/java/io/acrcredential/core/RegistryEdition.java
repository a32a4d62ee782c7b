package io.acrcredential.core;

/**
 * The two editions of Alibaba Cloud Container Registry, which issue tokens through different APIs.
 */
public enum RegistryEdition {
  /** Personal Edition: one registry per region and account, token API version 2016-06-07 (ROA). */
  PERSONAL,
  /**
   * Enterprise Edition: a dedicated instance ({@code cri-…}), token API version 2018-12-01 (RPC).
   */
  ENTERPRISE
}

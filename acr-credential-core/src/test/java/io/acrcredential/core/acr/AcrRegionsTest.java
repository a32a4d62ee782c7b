package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AcrRegionsTest {

  @Test
  void knowsTheMainRegionsAndIsSortedAndUnmodifiable() {
    assertThat(AcrRegions.known())
        .contains(
            "cn-hangzhou",
            "cn-shanghai",
            "cn-beijing",
            "cn-hongkong",
            "ap-southeast-1",
            "us-west-1",
            "eu-central-1",
            "cn-wuhan-lr",
            "cn-shanghai-finance-1")
        .doesNotContain("ap-southeast-2");
    assertThat(new java.util.ArrayList<>(AcrRegions.known())).isSorted();
    assertThatThrownBy(() -> AcrRegions.known().add("x-y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void everyKnownRegionIsAcceptedByRegistryTarget() {
    for (String region : AcrRegions.known()) {
      assertThat(RegistryTarget.personal(region).regionId()).isEqualTo(region);
      assertThat(AcrRegions.check(region)).isEqualTo(region);
    }
  }

  @Test
  void checkNormalisesCaseAndWhitespace() {
    assertThat(AcrRegions.check("  CN-Hangzhou\t")).isEqualTo("cn-hangzhou");
    assertThat(AcrRegions.isKnown(" CN-HANGZHOU ")).isTrue();
    assertThat(AcrRegions.isKnown(null)).isFalse();
    assertThat(AcrRegions.isKnown("cn-atlantis")).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "cn-hangzou, cn-hangzhou",
    "cn-hanghzou, cn-hangzhou",
    "cn-shanghai-1, cn-shanghai",
    "ap-southeast-4, ap-southeast-1",
    "cn-hong-kong, cn-hongkong",
    "us-west-2, us-west-1",
  })
  void unknownRegionErrorSuggestsTheClosestAndListsAll(String typo, String suggestion) {
    assertThatThrownBy(() -> AcrRegions.check(typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown Container Registry region '" + typo + "'")
        .hasMessageContaining("did you mean '" + suggestion + "'?")
        .hasMessageContaining("Known regions: ")
        .hasMessageContaining(String.join(", ", AcrRegions.known()))
        .hasMessageContaining("checkAllowingUnknown");
  }

  @Test
  void unknownRegionFarFromAnyKnownHasNoSuggestion() {
    assertThatThrownBy(() -> AcrRegions.check("sa-antarctica-7"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sa-antarctica-7'")
        .hasMessageNotContaining("did you mean")
        .hasMessageContaining("cn-hangzhou");
  }

  @Test
  void unknownRegionsCanBeAcceptedExplicitly() {
    assertThat(AcrRegions.checkAllowingUnknown("na-south-1")).isEqualTo("na-south-1");
    assertThat(AcrRegions.checkAllowingUnknown(" CN-Hangzou ")).isEqualTo("cn-hangzou");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "hangzhou",
        "cn_hangzhou",
        "cn-",
        "-cn-hangzhou",
        "c-hangzhou",
        "cn-hangzhou.",
        "cn-a-b-c-d-e",
        "cn hangzhou",
        "中国-杭州"
      })
  void malformedRegionIdsAreRejectedEvenWhenUnknownRegionsAreAllowed(String id) {
    assertThatThrownBy(() -> AcrRegions.checkAllowingUnknown(id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid region id '" + id + "'")
        .hasMessageContaining("cn-hangzhou");
    assertThatThrownBy(() -> AcrRegions.check(id)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedIdCloseToAKnownOneGetsASuggestion() {
    assertThatThrownBy(() -> AcrRegions.check("cn_hangzhou"))
        .hasMessageContaining("did you mean 'cn-hangzhou'?");
  }

  @Test
  void aRegionWithoutItsAreaPrefixGetsASuggestion() {
    assertThatThrownBy(() -> AcrRegions.check("hangzhou"))
        .hasMessageStartingWith("invalid region id 'hangzhou'")
        .hasMessageContaining("did you mean 'cn-hangzhou'?");
    assertThatThrownBy(() -> AcrRegions.check("wuhan-lr"))
        .hasMessageContaining("did you mean 'cn-wuhan-lr'?");
  }

  @Test
  void nullIsRejectedWithAMessage() {
    assertThatThrownBy(() -> AcrRegions.check(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
    assertThat(AcrRegions.editDistance("", "")).isZero();
    assertThat(AcrRegions.editDistance("abc", "abc")).isZero();
    assertThat(AcrRegions.editDistance("abc", "")).isEqualTo(3);
    assertThat(AcrRegions.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(AcrRegions.editDistance("cn-hangzou", "cn-hangzhou")).isEqualTo(1);
  }
}

package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.Processes;
import io.acrcredential.examples.util.Json;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code token --output} writes only regular files that are Docker configs (or new files), through
 * links only to regular files and keeping the link, and never hangs on a FIFO.
 */
class TokenOutputSafetyTest {

  @TempDir Path home;
  CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(home);
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  Result token(Path out, String... more) {
    String[] args = new String[4 + more.length];
    args[0] = "token";
    args[1] = "--region=cn-hangzhou";
    args[2] = "--output";
    args[3] = out.toString();
    System.arraycopy(more, 0, args, 4, more.length);
    return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> cli.run("", args));
  }

  @Test
  void aSymlinkToADeviceIsRefusedAndTheDeviceUntouched() throws Exception {
    Path link = home.resolve("null-link");
    Files.createSymbolicLink(link, Path.of("/dev/null"));

    Result r = token(link);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr())
        .startsWith("error: refusing to write " + link)
        .contains("a character device")
        .doesNotContain(CliHarness.PASSWORD);
    assertThat(Files.isSymbolicLink(link)).as("the link is still a link").isTrue();
    assertThat(FileTrust.kind(Path.of("/dev/null"))).isEqualTo("a character device");
  }

  @Test
  void aFifoIsRefusedWithoutHanging() throws Exception {
    Path fifo = home.resolve("fifo");
    Processes.Result mk = Processes.run(List.of("mkfifo", fifo.toString()), Map.of(), "");
    assertThat(mk.exit()).as(mk.toString()).isZero();

    Result r = token(fifo);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("refusing to write " + fifo).contains("a FIFO");
    assertThat(FileTrust.kind(fifo)).isEqualTo("a FIFO");
  }

  @Test
  void aSocketAndADirectoryAreRefused() throws Exception {
    Path socket = home.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Result r = token(socket);
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.stderr()).contains("a socket");
    }
    Path dir = Files.createDirectory(home.resolve("a-dir"));
    Result r = token(dir);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("refusing to write " + dir).contains("a directory");
    assertThat(Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void aSymlinkToADockerConfigKeepsTheLinkAndUpdatesItsTarget() throws Exception {
    Path real = Files.createDirectories(home.resolve("dotfiles")).resolve("docker-config.json");
    Files.writeString(real, "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjpwdw==\"}}}");
    Path link = Files.createDirectories(home.resolve(".docker")).resolve("config.json");
    Files.createSymbolicLink(link, real);

    Result r = token(link);

    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(Files.isSymbolicLink(link)).as("the link is kept").isTrue();
    assertThat(Files.readSymbolicLink(link)).isEqualTo(real);
    DockerConfig written = DockerConfig.decode(Files.readAllBytes(real));
    assertThat(written.auth("registry.cn-hangzhou.aliyuncs.com").get().password())
        .isEqualTo(CliHarness.PASSWORD);
    assertThat(written.auth("quay.io")).isPresent();
    try (var files = Files.list(real.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("docker-config.json");
    }
  }

  @Test
  void aDanglingSymlinkIsRefused() throws Exception {
    Path link = home.resolve("dangling.json");
    Files.createSymbolicLink(link, home.resolve("nowhere/config.json"));

    Result r = token(link);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("does not lead to an existing file");
    assertThat(Files.exists(home.resolve("nowhere"))).isFalse();
  }

  @Test
  void aJsonDocumentThatIsNotADockerConfigIsRefused() throws Exception {
    Path pkg = home.resolve("package.json");
    String content = "{\"name\":\"app\",\"version\":\"1.0.0\",\"dependencies\":{}}";
    Files.writeString(pkg, content);

    Result r = token(pkg);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr())
        .startsWith("error: refusing to overwrite " + pkg)
        .contains("not a Docker config");
    assertThat(Files.readString(pkg)).isEqualTo(content);

    Path settings = home.resolve("settings.json");
    Files.writeString(settings, "{\"psFormat\":\"table\",\"detachKeys\":\"ctrl-e,e\"}");
    assertThat(token(settings).exit()).as("Docker-only keys: a Docker config").isZero();
    assertThat(Json.MAPPER.readTree(settings.toFile()).get("psFormat").asText()).isEqualTo("table");
  }

  @Test
  void jsonFormatNeverReplacesADockerConfig() throws Exception {
    Path config = home.resolve("config.json");
    String docker = "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjpwdw==\"}}}";
    Files.writeString(config, docker);

    Result r = token(config, "--format", "json");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr())
        .contains("refusing to overwrite " + config + " with --format json")
        .doesNotContain("quay.io");
    assertThat(Files.readString(config)).isEqualTo(docker);

    Path own = home.resolve("token.json");
    assertThat(token(own, "--format", "json").exit()).isZero();
    assertThat(token(own, "--format", "json").exit()).as("its own earlier output").isZero();
    JsonNode json = Json.MAPPER.readTree(own.toFile());
    assertThat(json.get("password").asText()).isEqualTo(CliHarness.PASSWORD);
  }

  @Test
  void aHugeExistingFileIsRefusedWithoutReadingItAll() throws Exception {
    Path big = home.resolve("big.json");
    byte[] content = new byte[OutputFile.MAX_EXISTING + 10];
    java.util.Arrays.fill(content, (byte) ' ');
    Files.write(big, content);

    Result r = token(big);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("larger than 1024 KiB");
    assertThat(Files.size(big)).isEqualTo(content.length);
  }

  @Test
  void aLinkPlantedByAnotherUserIsNotFollowed() throws Exception {
    OtherUser.assumeAvailable();
    Path shared = OtherUser.sharedDirectory(home);
    Path victim = Files.createDirectories(home.resolve(".docker")).resolve("config.json");
    String original = "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjpwdw==\"}}}";
    Files.writeString(victim, original);
    Path planted = shared.resolve("out.json");
    OtherUser.run("ln -s '" + victim + "' '" + planted + "'");
    assertThat(FileTrust.owner(planted)).isEqualTo(OtherUser.UID);

    Result r = token(planted);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("symbolic link owned by uid " + OtherUser.UID);
    assertThat(Files.readString(victim)).isEqualTo(original);
  }

  @Test
  void aFileOfAnotherUserInASharedDirectoryIsNotMergedInto() throws Exception {
    OtherUser.assumeAvailable();
    Path shared = OtherUser.sharedDirectory(home);
    Path planted = shared.resolve("config.json");
    String content = "{\"auths\":{},\"credsStore\":\"attacker\"}";
    OtherUser.run("printf '%s' '" + content + "' > '" + planted + "'");

    Result r = token(planted);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr())
        .contains("belongs to uid " + OtherUser.UID)
        .contains("other users may write");
    assertThat(Files.readString(planted)).isEqualTo(content);
    assertThat(FileTrust.owner(planted)).isEqualTo(OtherUser.UID);
  }
}

package dev.safelora.stage.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.artifacts.ArtifactStores;
import dev.safelora.artifacts.FileArtifactStore;
import dev.safelora.files.FileTrees;
import dev.safelora.stage.BadInputException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * No value of a record's {@code outputUri} (and no artifact key appended to it) makes a stage write outside its
 * artifacts root: every candidate is either refused as bad input, or the files it puts land under the root's real
 * location. Candidates are built from the pieces attacks are made of: dot segments (plain and percent-encoded),
 * absolute paths elsewhere, symbolic links inside the root that lead out, user information, ports, queries,
 * fragments, other schemes and hosts.
 */
class OutputConfinementPropertyTest {

    private static Path dir;
    private static Path root;
    private static Path outside;
    private static StageArtifacts artifacts;
    private static Path payload;

    @BeforeContainer
    static void layout() throws IOException {
        dir = Files.createTempDirectory("confinement").toRealPath();
        root = Files.createDirectories(dir.resolve("artifacts"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.createDirectories(root.resolve("adapters"));
        Files.createSymbolicLink(root.resolve("adapters/escape"), outside);   // a link inside the root leading out
        Files.createSymbolicLink(root.resolve("dangling"), dir.resolve("nowhere"));
        Files.writeString(outside.resolve("keep.txt"), "untouched");
        payload = Files.writeString(dir.resolve("payload.json"), "{}");
        artifacts = new StageArtifacts(new ArtifactStores().register("file", FileArtifactStore::new), root.toUri());
    }

    @AfterContainer
    static void cleanUp() {
        FileTrees.deleteQuietly(dir);
    }

    @Provide
    Arbitrary<String> outputUris() {
        Arbitrary<String> prefix = Arbitraries.of(
                root.toUri().toString(), root.toUri().toString().replaceFirst("/$", ""), "file://" + root, "file://localhost" + root,
                "file://" + outside, "file:///tmp", "file:///", "file://" + dir, "s3://bucket/artifacts", "http://host" + root,
                "file://user:pw@localhost" + root, "file://localhost:8080" + root, "relative/dir", "");
        Arbitrary<String> segment = Arbitraries.of("adapters", "req-1", "..", ".", "%2e%2e", "%2E.", ".%2e", "escape", "dangling",
                "a%2fb", "", "x?y=1", "x#frag", "artifacts", "outside", "..%2f..", "%00", "a b", "~");
        Arbitrary<List<String>> segments = segment.list().ofMaxSize(5);
        return Combinators.combine(prefix, segments).as((p, s) -> s.isEmpty() ? p : p + "/" + String.join("/", s));
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.of("projected", "raw", "training.json", "../x", "a/../../b", "escape", "..", ".safelora-x", "adapters/escape/p");
    }

    @Property(tries = 400)
    void noOutputUriMovesAWriteOutsideTheRoot(@ForAll("outputUris") String outputUri, @ForAll("keys") String key) throws Exception {
        try {
            URI prefix = artifacts.output(outputUri, "outputUri");
            URI target = artifacts.child(prefix, key);
            artifacts.put(payload, target);
            Path written = FileArtifactStore.pathOf(target).toRealPath();
            assertThat(written).startsWithRaw(root);
        } catch (BadInputException refused) {
            assertThat(refused.getMessage()).doesNotContain("\n").doesNotContain("pw@")
                    .satisfiesAnyOf(m -> assertThat(m).contains("outputUri"), m -> assertThat(m).contains("artifact key"),
                            m -> assertThat(m).contains("artifacts root"));
        } catch (java.nio.file.FileSystemException clash) {
            // an earlier try stored a file where this one needs a directory (or the reverse): a refusal too
        }
        try (Stream<Path> files = Files.walk(outside)) {
            assertThat(files.filter(Files::isRegularFile).toList()).containsExactly(outside.resolve("keep.txt"));
        }
        assertThat(dir.resolve("nowhere")).doesNotExist();
    }

    @Property(tries = 100)
    void noInputUriReadsOutsideTheAllowedRoots(@ForAll("outputUris") String inputUri) throws Exception {
        try {
            URI uri = artifacts.input(inputUri, "request.datasetUri");
            assertThat(FileArtifactStore.pathOf(uri).toAbsolutePath().normalize()).startsWithRaw(root);
            try {
                assertThat(artifacts.local(uri, "dataset").toRealPath()).startsWith(root);
            } catch (MissingArtifactException | java.nio.file.NoSuchFileException absent) {
                // nothing there: nothing read
            }
        } catch (BadInputException refused) {
            assertThat(refused.getMessage()).doesNotContain("\n");
        }
    }

    @net.jqwik.api.Example
    void theNamedAttacksAreRefusedWithTheirReason() {
        assertThatThrownBy(() -> artifacts.output("file://" + outside, "outputUri")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("outside this stage's artifacts root");
        assertThatThrownBy(() -> artifacts.output(root.toUri() + "adapters/escape/x", "outputUri"))
                .hasMessageContaining("outside this stage's artifacts root");
        assertThatThrownBy(() -> artifacts.output(root.toUri() + "a/../../outside", "outputUri")).hasMessageContaining("dot segment");
        assertThatThrownBy(() -> artifacts.output(root.toUri() + "%2e%2e/outside", "outputUri")).hasMessageContaining("dot segment");
        assertThatThrownBy(() -> artifacts.output("file://u:secret@localhost" + root, "outputUri"))
                .hasMessageContaining("user information").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> artifacts.input("file:///etc/passwd", "request.datasetUri"))
                .hasMessageContaining("not under an allowed input root");
    }
}

package dev.safelora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docker/Dockerfile: reproducible, non-root, built with ./mvnw inside, one CUDA stack matching the -Pgpu build. */
class DockerfileTest {

    private static final Pattern ARG = Pattern.compile("(?m)^ARG (\\w+)=(\\S+)$");
    private static final Pattern FROM = Pattern.compile("(?m)^FROM (\\S+)(?: AS (\\S+))?$");
    private static final Pattern PINNED = Pattern.compile("[^@\\s]+:[^@\\s]+@sha256:[0-9a-f]{64}");

    private final String dockerfile = read("docker/Dockerfile");

    @Test
    void everyBaseImageIsPinnedByDigest() {
        Map<String, String> args = new HashMap<>();
        Matcher arg = ARG.matcher(dockerfile);
        while (arg.find()) {
            args.put(arg.group(1), arg.group(2));
        }
        Set<String> stages = new HashSet<>();
        List<String> bases = new ArrayList<>();
        Matcher from = FROM.matcher(dockerfile);
        while (from.find()) {
            String image = from.group(1);
            if (image.startsWith("${")) {
                image = args.getOrDefault(image.substring(2, image.length() - 1), image);
            }
            if (!stages.contains(image)) {
                bases.add(image);
            }
            if (from.group(2) != null) {
                stages.add(from.group(2));
            }
        }
        assertThat(bases).isNotEmpty().allMatch(b -> PINNED.matcher(b).matches(), "pinned as name:tag@sha256:<digest>");
        assertThat(stages).contains("cpu", "planner", "cuda");
    }

    @Test
    void theImagesBuildWithTheWrapperAndCacheTheDependencies() {
        int goOffline = dockerfile.indexOf("./mvnw -B -q -Dmaven.repo.local=/m2 dependency:go-offline");
        int sources = dockerfile.indexOf("COPY pipeline/ pipeline/");
        assertThat(goOffline).isPositive().isLessThan(sources);
        assertThat(dockerfile).contains("-Pgpu -DskipTests package").contains("target/lib-planner/");
        // the class data archive fits only the build stage's paths: neither build makes it (docker/README.md)
        assertThat(dockerfile.split("package -Dexec.skip=true -pl pipeline/app", -1)).hasSize(3);
    }

    @Test
    void theDependencyLayerHasThePomOfEveryModuleTheRootPomLists() {
        // Maven reads every listed module before -pl narrows the build; one missing pom fails go-offline.
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(read("pom.xml"));
        List<String> modules = new ArrayList<>();
        while (module.find()) {
            modules.add(module.group(1));
        }
        assertThat(modules).contains("pipeline/app", "pipeline/stages/s3");
        String poms = dockerfile.substring(dockerfile.indexOf(" AS poms"), dockerfile.indexOf(" AS deps-cpu"));
        for (String m : modules) {
            assertThat(poms).as("the poms stage copies " + m + "/pom.xml").contains("COPY " + m + "/pom.xml " + m + "/");
        }
    }

    @Test
    void theRuntimeIsNonRootWithAWritableJavaCppCache() {
        assertThat(dockerfile).containsPattern("(?m)^USER 10001:10001$").doesNotContainPattern("(?m)^USER [a-z]");
        assertThat(dockerfile).contains("-Dorg.bytedeco.javacpp.cachedir=/var/cache/javacpp")
                .contains("chown 10001:10001").contains("-XX:MaxRAMPercentage=").contains("OMP_NUM_THREADS=");
    }

    @Test
    void theWorkerImagesStartJavaWithTheVectorApiFlagsOfTheLauncherScript() {
        // ./safelora's flags for project/sweep/stage: the module, each kernel class's JIT threshold and the Vector API code
        // kept from the JIT, in its order
        Matcher launcher = Pattern.compile("-XX:CompileCommand=(?:CompileThresholdScaling,([\\w.]+)::\\*,[0-9.]+|exclude,[\\w.*:]+)")
                .matcher(read("safelora"));
        StringBuilder entry = new StringBuilder("ENTRYPOINT [\"java\", \"--add-modules\", \"jdk.incubator.vector\", \"-XX:CompileCommand=quiet\"");
        int flags = 0;
        while (launcher.find()) {
            String kernels = launcher.group(1);
            assertThat(kernels == null || Files.exists(Repository.root().resolve("pipeline/core/src/main/java/" + kernels.replace('.', '/') + ".java")))
                    .as("the class ./safelora names exists: " + kernels).isTrue();
            entry.append(", \"").append(launcher.group()).append('"');
            flags++;
        }
        assertThat(flags).as("./safelora sets the kernels' compile thresholds and the exclusion").isGreaterThanOrEqualTo(3);
        Matcher young = Pattern.compile("-Xmn\\d+[mg]").matcher(read("safelora"));
        assertThat(young.find()).as("./safelora fixes the young generation's size for the kernels").isTrue();
        entry.append(", \"").append(young.group()).append('"');
        entry.append(", \"-cp\"");
        for (String stage : List.of("cpu", "cuda")) {
            assertThat(stageBody(stage)).as("image " + stage).contains(entry.toString());
        }
        assertThat(stageBody("planner")).doesNotContain("ENTRYPOINT");
        assertThat(stageBody("runtime")).containsPattern("(?m)^ENTRYPOINT \\[\"java\", \"-cp\"")
                .as("the build stops on a base without the module").contains("java --list-modules | grep -q '^jdk.incubator.vector@'");
    }

    /** The lines of one build stage, from its FROM to the next FROM. */
    private String stageBody(String name) {
        Matcher from = Pattern.compile("(?m)^FROM \\S+ AS " + Pattern.quote(name) + "$").matcher(dockerfile);
        assertThat(from.find()).as("stage " + name).isTrue();
        int next = dockerfile.indexOf("\nFROM ", from.end());
        return dockerfile.substring(from.start(), next < 0 ? dockerfile.length() : next);
    }

    @Test
    void theCudaImageHasOneCudaStackMatchingTheGpuBuild() throws IOException {
        Matcher cuda = Pattern.compile("<cuda.version>(\\d+\\.\\d+)-(\\d+\\.\\d+)-").matcher(read("pom.xml"));
        assertThat(cuda.find()).isTrue();
        assertThat(dockerfile).contains("CUDA " + cuda.group(1)).contains("cuDNN " + cuda.group(2))
                .doesNotContainPattern("(?m)^FROM nvidia/cuda").doesNotContainPattern("(?m)^ARG \\w+=nvidia/cuda")
                .contains("NVIDIA_REQUIRE_CUDA=\"cuda>=" + cuda.group(1).split("\\.")[0] + ".0\"")
                .contains("driver >= 580");
        assertThat(read("docker/README.md")).contains("580");
        assertThat(read("k8s/README.md")).contains("580");
    }

    private static String read(String path) {
        try {
            return Files.readString(Repository.root().resolve(path));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

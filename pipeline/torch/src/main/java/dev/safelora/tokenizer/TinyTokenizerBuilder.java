package dev.safelora.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a small byte-level BPE {@code tokenizer.json} (the GPT-2/Llama-3 scheme) trained on a
 * built-in text: special tokens {@code <unk> <s> </s> <pad>} (ids 0-3), the 256 byte symbols,
 * then learned merges. Any text encodes (no unknown bytes), and the vocabulary stays a few
 * hundred entries, which suits generated test models.
 */
public final class TinyTokenizerBuilder {

    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int PAD = 3;
    public static final List<String> SPECIAL = List.of("<unk>", "<s>", "</s>", "<pad>");

    private static final String CORPUS = """
            The quick brown fox jumps over the lazy dog. A model that is safe answers helpful questions and \
            refuses harmful ones. The pipeline trains an adapter, projects it onto the aligned subspace, and \
            evaluates the result. What is the capital of France? The capital of France is Paris. How do I \
            bake bread? Mix flour, water, salt and yeast, then knead the dough and bake it in the oven. \
            I cannot help with that request because it could cause harm. Please tell me a story about a \
            cat and a dog who became friends in the city. Once upon a time there was a small robot that \
            wanted to learn how to paint. [INST] <<SYS>> You are a helpful assistant. <</SYS>> [/INST] \
            ### Instruction: ### Response: the of and to in is that for it with as on be at by this
            """;

    private TinyTokenizerBuilder() {
    }

    /**
     * Writes {@code tokenizer.json} (and a minimal {@code tokenizer_config.json}) into {@code dir}
     * and returns the vocabulary size (at most {@code 260 + merges}).
     */
    public static int write(Path dir, int merges) {
        return write(dir, merges, words(CORPUS));
    }

    /**
     * As {@link #write(Path, int)}, the merges learned from {@code words}: pre-tokens as the byte-level pre-tokenizer
     * cuts text (a word with its leading space, if any, is one pre-token), each counted once per occurrence.
     */
    public static int write(Path dir, int merges, List<String> corpus) {
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(dir);
            ObjectNode tokenizer = build(merges, corpus);
            Files.writeString(dir.resolve("tokenizer.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizer));
            ObjectNode config = json.createObjectNode();
            config.put("bos_token", "<s>");
            config.put("eos_token", "</s>");
            config.put("unk_token", "<unk>");
            config.put("pad_token", "<pad>");
            config.put("model_max_length", 2048);
            Files.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return tokenizer.path("model").path("vocab").size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer into " + dir, e);
        }
    }

    static ObjectNode build(int mergeCount) {
        return build(mergeCount, words(CORPUS));
    }

    private static List<String> words(String text) {
        return List.of(text.strip().split("(?= )"));
    }

    static ObjectNode build(int mergeCount, List<String> corpus) {
        ObjectMapper json = new ObjectMapper();
        String[] byteSymbol = byteSymbols();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIAL) {
            vocab.put(s, vocab.size());
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(byteSymbol[b], vocab.size());
        }
        List<String> merges = learnMerges(byteSymbol, mergeCount, vocab, corpus);

        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIAL.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIAL.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        // Like Llama: every encoding starts with <s>.
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(BOS);
        bos.putArray("tokens").add("<s>");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        return root;
    }

    /** Greedy BPE training on the corpus words (split before spaces, as the byte-level regex does). */
    private static List<String> learnMerges(String[] byteSymbol, int count, Map<String, Integer> vocab, List<String> corpus) {
        List<List<String>> words = new ArrayList<>();
        for (String w : corpus) {
            List<String> symbols = new ArrayList<>();
            for (byte b : w.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                symbols.add(byteSymbol[b & 0xff]);
            }
            words.add(symbols);
        }
        List<String> merges = new ArrayList<>();
        while (merges.size() < count) {
            Map<String, Integer> pairs = new HashMap<>();
            String best = null;
            int bestCount = 0;
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    String key = w.get(i) + " " + w.get(i + 1);
                    int c = pairs.merge(key, 1, Integer::sum);
                    if (c > bestCount || (c == bestCount && key.compareTo(best) < 0)) {
                        best = key;
                        bestCount = c;
                    }
                }
            }
            if (best == null) {
                break;
            }
            String[] parts = best.split(" ");
            String joined = parts[0] + parts[1];
            merges.add(best);
            // A symbol already reached through another merge path gets no second entry.
            vocab.putIfAbsent(joined, vocab.size());
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(parts[0]) && w.get(i + 1).equals(parts[1])) {
                        w.set(i, joined);
                        w.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    /** GPT-2's printable stand-ins for the 256 byte values. */
    static String[] byteSymbols() {
        String[] out = new String[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = new String(Character.toChars(printable ? b : 256 + extra++));
        }
        return out;
    }
}

package org.vnvdimm.sim.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

/**
 * Where the run journal lives and how Akka reaches it. By default an embedded H2 file,
 * {@code runs/journal.mv.db} under the working directory, created on first use; PostgreSQL when
 * the user gives {@code --journal jdbc:postgresql://HOST:PORT/DB} or sets {@code vnvdimm.journal.url}
 * in application.conf (the working directory's, else the classpath's). The schema (akka-persistence-jdbc
 * 5.1.0's, with IF NOT EXISTS throughout) is created over plain JDBC before Akka starts, so a bad URL,
 * a corrupt file or a foreign database is one clear line, not a stack trace from a plugin.
 */
public final class JournalSettings {
    /** The config key application.conf may set. */
    public static final String CONFIG_KEY = "vnvdimm.journal.url";
    public static final String DEFAULT_H2 = "runs/journal";

    /** A journal that cannot be used, in one line. */
    public static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unusable(String message) { super(message); }
    }

    public enum Kind { H2, POSTGRES }

    private final Kind kind;
    private final String url;
    private final String shown;
    private final String user;
    private final String password;

    private JournalSettings(Kind kind, String url, String shown, String user, String password) {
        this.kind = kind;
        this.url = url;
        this.shown = shown;
        this.user = user;
        this.password = password;
    }

    /**
     * The journal to use: the URL given (--journal), else application.conf's {@value #CONFIG_KEY},
     * else the H2 file runs/journal under the working directory.
     */
    public static JournalSettings resolve(String given) throws Unusable {
        String u = given;
        if (u == null) {
            Config c = userConfig();
            if (c.hasPath(CONFIG_KEY)) u = c.getString(CONFIG_KEY);
        }
        if (u == null || u.isBlank()) return h2(Path.of(DEFAULT_H2));
        u = u.strip();
        if (u.startsWith("jdbc:postgresql:")) {
            String user = u.contains("user=") ? null : envOr("PGUSER", "postgres");
            String password = u.contains("password=") ? null : envOr("PGPASSWORD", "");
            return new JournalSettings(Kind.POSTGRES, u, u.replaceAll("password=[^&]*", "password=…"), user, password);
        }
        if (u.startsWith("jdbc:h2:")) {
            String rest = u.substring("jdbc:h2:".length());
            if (rest.startsWith("file:")) rest = rest.substring("file:".length());
            if (rest.contains(";")) rest = rest.substring(0, rest.indexOf(';'));
            if (rest.startsWith("mem:") || rest.startsWith("tcp:") || rest.startsWith("ssl:") || rest.isBlank()) {
                throw new Unusable("--journal " + given + ": expected an H2 file (jdbc:h2:file:PATH), not " + rest);
            }
            return h2(Path.of(rest));
        }
        throw new Unusable("--journal " + u + ": expected jdbc:postgresql://HOST:PORT/DB or jdbc:h2:file:PATH");
    }

    private static JournalSettings h2(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        String name = abs.getFileName().toString();
        if (name.endsWith(".mv.db")) abs = abs.resolveSibling(name.substring(0, name.length() - ".mv.db".length()));
        // AUTO_SERVER: a second process recording at the same time reaches the file through the first.
        // AUTO_RECONNECT: when that first process exits, its server goes with it; the others reconnect
        // (one of them opens the file and serves it) instead of failing with "Connection is broken".
        // WRITE_DELAY=0: a commit is in the file when it returns, so a killed run keeps what it recorded.
        String url = "jdbc:h2:file:" + abs + ";AUTO_SERVER=TRUE;AUTO_RECONNECT=TRUE;WRITE_DELAY=0";
        Path cwd = Path.of("").toAbsolutePath();
        Path mv = abs.resolveSibling(abs.getFileName() + ".mv.db");
        String shown = mv.startsWith(cwd) ? cwd.relativize(mv).toString() : mv.toString();
        return new JournalSettings(Kind.H2, url, shown, "sa", "");
    }

    private static String envOr(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    /** The working directory's application.conf (if any) over the classpath's. */
    static Config userConfig() {
        Path local = Path.of("application.conf");
        Config base = ConfigFactory.load();
        if (!Files.isRegularFile(local)) return base;
        return ConfigFactory.parseFile(local.toFile()).withFallback(base);
    }

    public Kind kind() { return kind; }

    /** The journal as shown to the user: the H2 file (relative to the working directory when below it) or the URL. */
    public String shown() { return shown; }

    public String url() { return url; }

    /**
     * Connects over plain JDBC, creates the schema if missing, and checks the tables are akka-persistence-jdbc 5's.
     * Returns the connection, for the caller to hold while it uses the journal: an H2 database stays
     * open (and this process its server, if it was first) as long as one connection is.
     */
    public Connection prepare() throws Unusable {
        if (kind == Kind.H2) {
            Path mv = Path.of(url.substring("jdbc:h2:file:".length(), url.indexOf(';')) + ".mv.db");
            try {
                Files.createDirectories(mv.getParent());
            } catch (IOException e) {
                throw new Unusable(shown + ": cannot create the folder for the journal: " + e.getMessage());
            }
            if (Files.isDirectory(mv)) throw new Unusable(shown + ": is a directory, not an H2 journal file");
        }
        String script = kind == Kind.H2 ? "h2-schema.sql" : "postgres-schema.sql";
        Connection c = null;
        try {
            c = connectRetrying();
        } catch (SQLException e) {
            int code = e.getErrorCode();
            if (kind == Kind.H2 && (code == 90028 || code == 90030 || code == 90048)) {
                // H2's own words here are "IO Exception: <path>": say what it means.
                throw new Unusable(shown + ": not a usable run journal: not an H2 2.x database file, or a corrupt one (H2 error " + code + ")");
            }
            throw new Unusable(shown + ": not a usable run journal (akka-persistence-jdbc 5.1.0 schema): " + oneLine(e));
        }
        try (Statement st = c.createStatement()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    for (String sql : statements(script)) st.execute(sql);
                    break;
                } catch (SQLException e) {
                    // Two processes creating the schema at once: PostgreSQL's IF NOT EXISTS can still race.
                    if (attempt >= 3) throw e;
                    sleep(50L * (attempt + 1));
                }
            }
            String q = kind == Kind.H2 ? "\"" : "";
            st.executeQuery("SELECT " + String.join(", ", q + "ordering" + q, q + "persistence_id" + q, q + "sequence_number" + q,
                    q + "writer" + q, q + "event_payload" + q, q + "event_ser_id" + q, q + "event_ser_manifest" + q)
                    + " FROM " + q + "event_journal" + q + " WHERE 1 = 0").close();
            return c;
        } catch (SQLException e) {
            try { c.close(); } catch (SQLException ignored) { /* already failing */ }
            throw new Unusable(shown + ": not a usable run journal (akka-persistence-jdbc 5.1.0 schema): " + oneLine(e));
        }
    }

    /**
     * H2 error 90020 (file locked): another process is opening the file this moment, its server not
     * up yet. 90067 (connection broken): the process whose server the lock file names is exiting;
     * the next try opens the file or reaches the next server.
     */
    private Connection connectRetrying() throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                return connect();
            } catch (SQLException e) {
                if (kind != Kind.H2 || (e.getErrorCode() != 90020 && e.getErrorCode() != 90067) || attempt >= 40) throw e;
                sleep(100L + 25L * attempt);
            }
        }
    }

    Connection connect() throws SQLException {
        Properties p = new Properties();
        if (user != null) p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        try {
            Class.forName(kind == Kind.H2 ? "org.h2.Driver" : "org.postgresql.Driver");
        } catch (ClassNotFoundException e) {
            throw new SQLException("JDBC driver missing: " + e.getMessage(), e);
        }
        return DriverManager.getConnection(url, p);
    }

    private static String oneLine(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String[] statements(String script) throws SQLException {
        try (InputStream in = JournalSettings.class.getResourceAsStream(script)) {
            if (in == null) throw new SQLException("schema script " + script + " missing from the jar");
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return java.util.Arrays.stream(text.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new);
        } catch (IOException e) {
            throw new SQLException(e);
        }
    }

    /** The Akka configuration of the journal's own ActorSystem. */
    Config akkaConfig() {
        Config db = ConfigFactory.empty()
                .withValue("url", ConfigValueFactory.fromAnyRef(url))
                .withValue("driver", ConfigValueFactory.fromAnyRef(kind == Kind.H2 ? "org.h2.Driver" : "org.postgresql.Driver"));
        if (user != null) db = db.withValue("user", ConfigValueFactory.fromAnyRef(user));
        if (password != null) db = db.withValue("password", ConfigValueFactory.fromAnyRef(password));
        Config shared = ConfigFactory.parseString(String.format(Locale.ROOT, """
                profile = "%s"
                db { numThreads = 2, maxConnections = 2, minConnections = 1, connectionTimeout = 30s }
                """, kind == Kind.H2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$"));
        shared = shared.withValue("db", db.withFallback(shared.getConfig("db")).root());
        return ConfigFactory.parseString("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters = off
                akka.log-dead-letters-during-shutdown = off
                akka.loggers = ["akka.event.slf4j.Slf4jLogger"]
                akka.logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
                akka.actor.provider = local
                akka.actor.allow-java-serialization = off
                akka.actor.warn-about-java-serializer-usage = off
                akka.coordinated-shutdown.exit-jvm = off
                akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                akka.persistence.journal.plugin = "jdbc-journal"
                akka.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
                jdbc-journal.use-shared-db = "default"
                jdbc-snapshot-store.use-shared-db = "default"
                jdbc-read-journal.use-shared-db = "default"
                jdbc-durable-state-store.use-shared-db = "default"
                """)
                .withValue("akka-persistence-jdbc.shared-databases.default", shared.root())
                .withFallback(ConfigFactory.load());
    }
}

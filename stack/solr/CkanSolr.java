// A single-core Solr 9 for the local CKAN portal, bound to 127.0.0.1.
//
// Run with Java's single-file source launcher on the classpath that pom.xml resolves:
//   java -cp 'lib/*' CkanSolr.java <solr-home> <port>
// Prints "SOLR READY <core url>" once the "ckan" core has loaded, or the core's init
// failures and exits 1, because Solr itself only logs them and keeps answering HTTP.

import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class CkanSolr {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CkanSolr <solr-home> [port]");
            System.exit(2);
        }
        String home = Path.of(args[0]).toAbsolutePath().toString();
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8983;

        JettyConfig config = JettyConfig.builder()
                .setPort(port)
                .stopAtShutdown(true)
                .withPortRetryTime(5)
                .waitForLoadingCoresToFinish(120_000L)
                .build();
        JettySolrRunner runner = new JettySolrRunner(home, new Properties(), config);
        runner.start();

        CoreContainer cores = runner.getCoreContainer();
        if (cores == null || !cores.getCoreInitFailures().isEmpty() || !cores.isLoaded("ckan")) {
            System.err.println("SOLR FAILED core init: "
                    + (cores == null ? "no core container" : cores.getCoreInitFailures()));
            runner.stop();
            System.exit(1);
        }
        System.out.println("SOLR READY " + runner.getBaseUrl() + "/ckan");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}

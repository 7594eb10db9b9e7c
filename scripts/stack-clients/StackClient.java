// StackClient.java - one JSSE (SunJSSE) TLS handshake, for scripts/make-stack-samples.sh.
// java StackClient.java ADDR PORT SNI|- ALPN,..|-   (the versions come from -Djdk.tls.client.protocols)
// The server certificate is not checked: the capture only needs the ClientHello the stack sends.
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.util.List;

public class StackClient {
	public static void main(String[] a) throws Exception {
		TrustManager[] any = {new X509TrustManager() {
			public void checkClientTrusted(X509Certificate[] c, String t) {}
			public void checkServerTrusted(X509Certificate[] c, String t) {}
			public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
		}};
		SSLContext ctx = SSLContext.getInstance("TLS");
		ctx.init(null, any, null);
		Socket plain = new Socket();
		plain.connect(new InetSocketAddress(a[0], Integer.parseInt(a[1])), 5000);
		// host name "-" keeps SNI off (JSSE sends SNI only for a DNS host name)
		String host = a[2].equals("-") ? a[0] : a[2];
		SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, Integer.parseInt(a[1]), true);
		SSLParameters p = s.getSSLParameters();
		if (!a[2].equals("-"))
			p.setServerNames(List.of(new SNIHostName(a[2])));
		if (!a[3].equals("-"))
			p.setApplicationProtocols(a[3].split(","));
		s.setSSLParameters(p);
		s.setSoTimeout(5000);
		s.startHandshake();
		System.out.println(s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
		s.close();
	}
}

(self.webpackChunklforms=self.webpackChunklforms||[]).push([[461],{4050(){}},s=>{s(s.s=4050)}]);
//# sourceMappingURL=polyfills.js.map